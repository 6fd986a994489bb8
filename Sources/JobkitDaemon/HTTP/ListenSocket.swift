import CMicroHTTPD
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A listening socket the daemon created itself, for libmicrohttpd to serve.
public struct ListenSocket: Sendable {
    /// The listening descriptor.
    public let descriptor: Int32
    /// `host:port` for TCP (with the port actually bound), or the socket's path.
    public let address: String
    /// The bound TCP port, `nil` for Unix sockets.
    public let port: Int?
    /// The Unix socket's path, removed again on close.
    public let path: String?

    /// Default backlog of pending connections.
    public static let defaultBacklog: Int32 = 128

    /// Binds and listens on TCP `host:port` (port 0 picks a free one). IPv4 and IPv6 literals are accepted.
    ///
    /// - Throws: ``DaemonError`` for an address that does not parse or a bind that fails (`EADDRINUSE`, …).
    public static func tcp(_ hostAndPort: String, backlog: Int32 = defaultBacklog) throws -> ListenSocket {
        let (host, port) = try parse(hostAndPort)
        var storage = sockaddr_storage()
        let family: Int32
        let length: socklen_t
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(port).bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else {
                throw DaemonError(.invalidAddress, "'\(host)' is not an IPv6 address")
            }
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            family = AF_INET6
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(port).bigEndian
            let literal = host == "localhost" ? "127.0.0.1" : host
            guard inet_pton(AF_INET, literal, &address.sin_addr) == 1 else {
                throw DaemonError(.invalidAddress, "'\(host)' is not an IPv4 address (use a literal such as 127.0.0.1)")
            }
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            family = AF_INET
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        let descriptor = try syscall("socket") {
            socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            var yes: Int32 = 1
            try syscall("setsockopt SO_REUSEADDR") {
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            }
            try syscall("bind", path: hostAndPort) {
                withUnsafePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
                }
            }
            try syscall("listen", path: hostAndPort) { listen(descriptor, backlog) }
            var bound = sockaddr_storage()
            var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            try syscall("getsockname") {
                withUnsafeMutablePointer(to: &bound) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &boundLength) }
                }
            }
            let boundPort = withUnsafeBytes(of: bound) { bytes -> Int in
                family == AF_INET6
                    ? Int(UInt16(bigEndian: bytes.load(as: sockaddr_in6.self).sin6_port))
                    : Int(UInt16(bigEndian: bytes.load(as: sockaddr_in.self).sin_port))
            }
            let shownHost = family == AF_INET6 ? "[\(host)]" : host
            return ListenSocket(
                descriptor: descriptor, address: "\(shownHost):\(boundPort)", port: boundPort, path: nil)
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
    }

    /// Creates a Unix socket at `path` with permissions `mode` (0600 by default: only our user).
    ///
    /// A stale socket file left by a crashed daemon is replaced; any other file at `path` is an error.
    ///
    /// - Throws: ``DaemonError`` when the path is too long, taken by another file, or a call fails.
    public static func unix(_ path: String, mode: UInt32 = 0o600, backlog: Int32 = defaultBacklog) throws
        -> ListenSocket
    {
        guard let address = UnixSocketAddress(path) else {
            throw DaemonError(
                .invalidAddress, "socket path \(path) is longer than \(UnixSocketAddress.maximumPathBytes) bytes")
        }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw DaemonError(.invalidAddress, "\(path) exists and is not a socket; refusing to replace it")
            }
            try syscall("unlink", path: path) { unlink(path) }
        }
        let descriptor = try syscall("socket") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            // Create it private from the first instant: no window where another user could connect.
            let previousMask = umask(0o777 & ~mode)
            defer { umask(previousMask) }
            try syscall("bind", path: path) {
                address.withSockaddr { bind(descriptor, $0, $1) }
            }
            try syscall("chmod", path: path) { chmod(path, mode) }
            try syscall("listen", path: path) { listen(descriptor, backlog) }
            return ListenSocket(descriptor: descriptor, address: path, port: nil, path: path)
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
    }

    /// Closes the descriptor and removes a Unix socket's file.
    public func close() {
        _ = Glibc.close(descriptor)
        if let path { unlink(path) }
    }

    /// Splits `host:port` or `[v6]:port`.
    static func parse(_ hostAndPort: String) throws -> (host: String, port: UInt16) {
        guard case .tcp(let host, let port) = SocketAddress(hostPort: hostAndPort) else {
            throw DaemonError(.invalidAddress, "'\(hostAndPort)' is not HOST:PORT with a port from 0 to 65535")
        }
        return (host, UInt16(port))
    }
}
