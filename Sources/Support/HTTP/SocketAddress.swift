#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a stream socket connects: a Unix socket's path, or a TCP host (a name or an address) and port.
package enum SocketAddress: Sendable, Hashable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `HOST:PORT`; an IPv6 host is written in brackets (`[::1]:9477`).
    package init?(hostPort: String) {
        guard let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]),
            (0...Int(UInt16.max)).contains(port)
        else { return nil }
        var host = String(hostPort[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self = .tcp(host: host, port: port)
    }

    /// The path, or `HOST:PORT` with an IPv6 host in brackets.
    package var description: String {
        switch self {
        case .unix(let path): path
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Why a connection could not be made.
    package struct ConnectError: Error, CustomStringConvertible, Sendable {
        /// The `errno` of the last attempt, or 0 when the address itself was unusable.
        package let code: Int32
        /// What went wrong, without the address (callers say where they were connecting).
        package let reason: String

        package var description: String { reason }
    }

    /// Connects a close-on-exec stream socket; with `timeout`, sends and receives on it give up after that
    /// long. A TCP name is resolved and each of its addresses tried in turn. (`connect(2)` is not retried
    /// on `EINTR`: the connection goes on in the background, and a second call fails.)
    package func connect(timeout: Duration? = nil) throws(ConnectError) -> Int32 {
        switch self {
        case .unix(let path): try Self.connectUnix(path, timeout: timeout)
        case .tcp(let host, let port): try Self.connectTCP(host, port, timeout: timeout)
        }
    }

    private static func connectUnix(_ path: String, timeout: Duration?) throws(ConnectError) -> Int32 {
        guard let address = UnixSocketAddress(path) else {
            throw ConnectError(
                code: 0, reason: "the socket path is longer than \(UnixSocketAddress.maximumPathBytes) bytes")
        }
        let descriptor = try openSocket(family: AF_UNIX, type: Int32(SOCK_STREAM.rawValue), protocol: 0, timeout)
        guard address.withSockaddr({ Glibc.connect(descriptor, $0, $1) }) == 0 else {
            let code = errno
            close(descriptor)
            throw ConnectError(code: code, reason: String(cString: strerror(code)))
        }
        return descriptor
    }

    private static func connectTCP(_ host: String, _ port: Int, timeout: Duration?) throws(ConnectError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw ConnectError(code: 0, reason: "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(first) }
        var code = ECONNREFUSED
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            guard
                let descriptor = try? openSocket(
                    family: info.pointee.ai_family, type: info.pointee.ai_socktype,
                    protocol: info.pointee.ai_protocol, timeout)
            else { continue }
            if Glibc.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                return descriptor
            }
            code = errno
            close(descriptor)
        }
        throw ConnectError(code: code, reason: String(cString: strerror(code)))
    }

    private static func openSocket(
        family: Int32, type: Int32, protocol: Int32, _ timeout: Duration?
    ) throws(ConnectError) -> Int32 {
        let descriptor = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
        guard descriptor >= 0 else {
            let code = errno
            throw ConnectError(code: code, reason: "socket: \(String(cString: strerror(code)))")
        }
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
        return descriptor
    }
}
