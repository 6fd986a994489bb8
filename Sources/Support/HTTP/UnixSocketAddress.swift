#if canImport(Glibc)
    package import Glibc
#elseif canImport(Darwin)
    package import Darwin
#endif

/// A Unix socket's address, ready for `bind(2)`, `connect(2)` or `sendto(2)`.
package struct UnixSocketAddress: Sendable {
    /// Bytes a path may have, its terminating NUL not counted (107 on Linux).
    package static let maximumPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    package let path: String
    private let storage: sockaddr_un
    private let length: socklen_t

    /// The address of `path`; a leading `@` names a socket in the abstract namespace (as systemd writes
    /// `$NOTIFY_SOCKET`). `nil` when the path is longer than ``maximumPathBytes``.
    package init?(_ path: String) {
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count <= Self.maximumPathBytes else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        self.path = path
        storage = address
        // An abstract name is exactly its bytes; a path counts its terminating NUL.
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    }

    /// Calls `body` with the address and its length.
    package func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result) rethrows
        -> Result
    {
        try withUnsafePointer(to: storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }
}
