#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads an HTTP/1.1 response from a socket: the head, then a body by length, by chunks, or until close.
struct HTTPResponseReader {
    let descriptor: Int32
    var buffer: [UInt8] = []
    var closed = false

    /// Largest response head accepted (64 KiB).
    static let maxHeadBytes = 64 << 10
    /// Bytes asked of each `read(2)` (16 KiB).
    static let readChunk = 16 << 10

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    private func failure(_ description: String) -> HTTPClient.Failure {
        HTTPClient.Failure(notConnected: false, description: description)
    }

    mutating func fill() throws(HTTPClient.Failure) {
        var chunk = [UInt8](repeating: 0, count: Self.readChunk)
        let count = chunk.withUnsafeMutableBytes { bytes in
            SystemCall.retrying { read(descriptor, bytes.baseAddress, bytes.count) }
        }
        guard count >= 0 else {
            let reason = errno == EAGAIN ? "timed out" : String(cString: strerror(errno))
            throw failure("reading the response: \(reason)")
        }
        if count == 0 { closed = true }
        buffer += chunk[0..<count]
    }

    mutating func readHead() throws(HTTPClient.Failure) -> HTTPClient.Head {
        while true {
            if let end = Self.firstCRLF(in: buffer, twice: true) {
                let lines = Self.lines(of: buffer[..<end])
                buffer.removeSubrange(..<(end + 4))
                let statusLine = lines[0]
                let parts = statusLine.split(separator: " ")
                guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                    throw failure("malformed status line: \(statusLine)")
                }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...])
                        .trimmingWhitespace()
                }
                return HTTPClient.Head(status: status, statusLine: statusLine, headers: headers)
            }
            guard !closed, buffer.count <= Self.maxHeadBytes else {
                throw failure(closed ? "the connection closed without a response" : "the response head is too long")
            }
            try fill()
        }
    }

    mutating func readBody(chunked: Bool, length: Int?, _ onBody: ([UInt8]) -> Bool) throws(HTTPClient.Failure) {
        if chunked {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16), size >= 0 else {
                    throw failure("malformed chunk size: \(sizeLine)")
                }
                if size == 0 { return }
                while buffer.count < size + 2 {
                    guard !closed else { throw failure("the response ended early") }
                    try fill()
                }
                let data = Array(buffer[..<size])
                buffer.removeSubrange(..<(size + 2))
                if !onBody(data) { return }
            }
        }
        var remaining = length ?? Int.max
        while remaining > 0 {
            if buffer.isEmpty {
                if closed { break }
                try fill()
                continue
            }
            let take = min(remaining, buffer.count)
            let data = Array(buffer[..<take])
            buffer.removeSubrange(..<take)
            remaining -= take
            if !onBody(data) { return }
        }
    }

    private mutating func readLine() throws(HTTPClient.Failure) -> String {
        while true {
            if let end = Self.firstCRLF(in: buffer, twice: false) {
                let line = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeSubrange(..<(end + 2))
                return line
            }
            guard !closed else { throw failure("the response ended early") }
            try fill()
        }
    }

    // The searches below are written out: the generic `firstRange(of:)` and `split(separator:)` of a
    // collection instantiate their types from mangled names at first use, which was a tenth of a client
    // command's time (`perf record` of `memoryd submit`).

    /// Where the first `\r\n` (with `twice`, `\r\n\r\n`) in `bytes` starts.
    static func firstCRLF(in bytes: [UInt8], twice: Bool) -> Int? {
        let length = twice ? 4 : 2
        var index = 0
        while index + length <= bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10, !twice || (bytes[index + 2] == 13 && bytes[index + 3] == 10)
            {
                return index
            }
            index += 1
        }
        return nil
    }

    /// `bytes` split at each `\r\n`, as text.
    static func lines(of bytes: ArraySlice<UInt8>) -> [String] {
        var lines: [String] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            if bytes[index] == 13, bytes[index + 1] == 10 {
                lines.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        lines.append(String(decoding: bytes[start...], as: UTF8.self))
        return lines
    }
}
