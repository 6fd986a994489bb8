#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// System calls as every module wants them: retried when a signal interrupts them (`EINTR`), short
/// reads and writes carried on to the end.
package enum SystemCall {
    /// Bytes read per `read(2)` by ``readAll(_:chunk:)`` unless told otherwise (64 KiB).
    package static let defaultReadChunk = 64 << 10
    /// Bytes read per `read(2)` of a small `/proc` file (one page: the kernel fills one per read).
    package static let procFileChunk = 4096

    /// Runs `call` again for as long as it fails with `EINTR`; returns its first other result (on -1,
    /// `errno` says why).
    @discardableResult
    package static func retrying<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result != -1 || errno != EINTR { return result }
        }
    }

    /// Writes all of `bytes` to `descriptor`; returns `nil` once everything is written, or the `errno` of
    /// the write that failed (`EPIPE` for a closed pipe, `ENOSPC` for a full disk).
    package static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = retrying { write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            if written < 0 { return errno }
            // A write of nothing to a regular file or pipe means it can take no more.
            if written == 0 { return EIO }
            offset += written
        }
        return nil
    }

    /// ``writeAll(_:to:)`` for an array of bytes.
    package static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        bytes.withUnsafeBytes { writeAll($0, to: descriptor) }
    }

    /// Reads `descriptor` to its end: the bytes, or the `errno` of the read that failed.
    package static func readAll(_ descriptor: Int32, chunk: Int = defaultReadChunk) -> Result<[UInt8], SystemError> {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = retrying { buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } }
            if count == 0 { return .success(bytes) }
            if count < 0 { return .failure(SystemError(code: errno)) }
            bytes += buffer[0..<count]
        }
    }
}

/// An `errno` value as an error.
package struct SystemError: Error, Hashable {
    package let code: Int32

    package init(code: Int32) { self.code = code }
}
