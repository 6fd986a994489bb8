import CZlib
import JobkitMetrics
import JobkitSupport

/// Gzip compression of response bodies (zlib), and whether a request's `Accept-Encoding` allows it.
public enum Gzip {
    /// zlib's compression level used for responses: 6, its default balance of speed and size.
    public static let defaultLevel: Int32 = 6

    /// Whether `acceptEncoding` accepts gzip: listed (or `*`) with a q-value above zero.
    public static func isAccepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var gzip: Double?
        var wildcard: Double?
        for entry in QualityListEntry.parse(acceptEncoding) {
            if entry.token == "gzip" || entry.token == "x-gzip" {
                gzip = entry.quality
            } else if entry.token == "*" {
                wildcard = entry.quality
            }
        }
        return (gzip ?? wildcard ?? 0) > 0
    }

    /// `bytes` in gzip format.
    ///
    /// - Throws: ``DaemonError`` (`.internal`) if zlib fails, which only happens when it runs out of memory.
    public static func compress(_ bytes: [UInt8], level: Int32 = defaultLevel) throws -> [UInt8] {
        var stream = z_stream()
        guard czlib_gzip_deflate_init(&stream, level) == Z_OK else {
            throw DaemonError(.internal, "zlib could not start a gzip stream")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))))
        let status = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out -> Int32 in
                stream.next_in = UnsafeMutablePointer(
                    mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw DaemonError(.internal, "zlib could not compress \(bytes.count) bytes (status \(status))")
        }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }
}
