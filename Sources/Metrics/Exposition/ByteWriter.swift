#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Somewhere to write bytes: a growing array, or a preallocated buffer on the exposition path.
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(bytes: UnsafeRawBufferPointer)
}

extension ByteSink {
    @inline(__always)
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(bytes: $0) }
    }

    @inline(__always)
    mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { append(bytes: $0) }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inline(__always)
    mutating func append(bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }
}

/// Writes into a buffer sized in advance: no capacity growth, no uniqueness checks, one bounds check per write
/// (which traps rather than overruns if the size estimate were ever wrong).
struct BufferWriter: ByteSink {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress!
        capacity = buffer.count
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        precondition(count < capacity, "exposition size estimate exceeded")
        base[count] = byte
        count &+= 1
    }

    @inline(__always)
    mutating func append(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= capacity &- count, "exposition size estimate exceeded")
        if let source = bytes.baseAddress { memcpy(base + count, source, bytes.count) }
        count &+= bytes.count
    }

    /// Renders into one array of at most `capacity` bytes.
    static func render(capacity: Int, _ body: (inout BufferWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: max(capacity, 1)) { buffer, initialized in
            var writer = BufferWriter(buffer)
            body(&writer)
            initialized = writer.count
        }
    }
}

/// Bytes that the exposition formats add around names, labels and values, for sizing buffers.
enum ExpositionSize {
    /// Longest number written: a `Double` in shortest round-trip form is at most 24 characters.
    static let number = 32
    /// Longest suffix added to a name (`_created`, `_bucket`).
    static let suffix = 8
    /// Punctuation and keywords around a comment line (`# HELP `, space, newline).
    static let commentLine = 16

    /// Upper bound of one family's text in either format.
    static func estimate(_ family: FamilySnapshot) -> Int {
        let descriptor = family.descriptor
        let name = descriptor.name.utf8.count + suffix
        var total = 4 * (commentLine + name) + 2 * descriptor.help.utf8.count + (descriptor.unit?.utf8.count ?? 0)
        for series in family.series {
            let line = name + series.renderedLabels.count + number + 2
            switch series.value {
            case .counter, .gauge:
                total += 2 * line
            case .histogram(let buckets, _, _):
                let bucketLine = line + buckets.longestRenderedBound + 8
                total += buckets.renderedBounds.count * bucketLine + 3 * line
            }
        }
        return total
    }
}
