import FoundationEssentials
import JobkitMetrics

#if canImport(Glibc)
    import Glibc
#endif

/// Talks HTTP/1.1 to a running memoryd over its Unix socket, and for reads over TCP when no daemon
/// answers on the socket: what the CLI's client commands use.
public struct DaemonClient: Sendable {
    /// A response with its whole body.
    public struct Response: Sendable {
        public var status: Int
        /// Headers by lower-cased name.
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// Why a request did not get an answer.
    public struct ClientError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Where reads go when the socket does not answer: the daemon's TCP listener, with the bearer token
    /// TCP reads of task data need.
    public struct TCPFallback: Sendable {
        /// `HOST:PORT`, IPv6 hosts in brackets (`[::1]:9477`).
        public var address: String
        /// `[daemon] token`, sent as `Authorization: Bearer TOKEN` when set.
        public var token: String?

        public init(address: String, token: String? = nil) {
            self.address = address
            self.token = token
        }
    }

    /// Path of the daemon's socket.
    public let socket: String
    /// Where `GET` requests go when nothing listens on ``socket``; `nil` for the socket only.
    public let fallback: TCPFallback?

    public init(socket: String, fallback: TCPFallback? = nil) {
        self.socket = socket
        self.fallback = fallback
    }

    /// Sends `GET path` and returns the whole response.
    ///
    /// - Throws: ``ClientError`` when no daemon answers on the socket or the response is malformed.
    public func get(_ path: String, accept: String? = nil) throws(ClientError) -> Response {
        try send("GET", path, accept: accept)
    }

    /// Sends `method path` with an optional JSON `body` and returns the whole response.
    ///
    /// - Throws: ``ClientError`` when no daemon answers on the socket or the response is malformed.
    public func send(_ method: String, _ path: String, json body: [UInt8]? = nil, accept: String? = nil)
        throws(ClientError) -> Response
    {
        var received: [UInt8] = []
        let head = try exchange(method, path, accept: accept, body: body) { chunk in
            received += chunk
            return true
        }
        return Response(status: head.status, headers: head.headers, body: received)
    }

    /// Sends `GET path` and hands each complete line of the body to `onLine` as it arrives, until the
    /// server ends the response or `onLine` returns `false`.
    ///
    /// - Returns: the status and headers.
    /// - Throws: ``ClientError`` when no daemon answers or the response is malformed.
    @discardableResult
    public func streamLines(_ path: String, accept: String? = nil, _ onLine: (String) -> Bool) throws(ClientError)
        -> (status: Int, headers: [String: String])
    {
        var pending: [UInt8] = []
        return try exchange("GET", path, accept: accept, body: nil) { chunk in
            pending += chunk
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if !onLine(line) { return false }
            }
            return true
        }
    }

    // MARK: - Wire

    private func exchange(
        _ method: String, _ path: String, accept: String?, body: [UInt8]?, _ onBody: ([UInt8]) -> Bool
    ) throws(ClientError) -> (status: Int, headers: [String: String]) {
        var authorization: String?
        let descriptor: Int32
        let peer: String
        do {
            descriptor = try connectUnix()
            peer = socket
        } catch {
            // Only reads move to TCP: a change sent to another daemon than the user meant does harm.
            guard method == "GET", let fallback else { throw error }
            do {
                descriptor = try Self.connectTCP(fallback.address)
            } catch let tcp {
                throw ClientError(description: "\(error.description); and on TCP: \(tcp.description)")
            }
            peer = fallback.address
            authorization = fallback.token.map { "Bearer " + $0 }
        }
        defer { close(descriptor) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        if let authorization { request += "Authorization: \(authorization)\r\n" }
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8) + (body ?? [])
        guard bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw ClientError(
                description: "could not send the request to \(peer): \(String(cString: strerror(errno)))")
        }
        var reader = ResponseReader(descriptor: descriptor)
        let head = try reader.readHead()
        try reader.readBody(
            chunked: head.headers["transfer-encoding"]?.lowercased() == "chunked",
            length: head.headers["content-length"].flatMap(Int.init), onBody)
        return head
    }

    private func connectUnix() throws(ClientError) -> Int32 {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ClientError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard socket.utf8.count < capacity else {
            close(descriptor)
            throw ClientError(description: "socket path \(socket) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: socket.utf8)
            buffer[socket.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ClientError(
                description: "no memoryd answers on \(socket) (\(reason)); start one with `memoryd run`, or point "
                    + "--socket (or MEMORYD_SOCKET) at the one that runs")
        }
        return descriptor
    }

    /// Connects to `HOST:PORT` (a name, an IPv4 address, or an IPv6 address in brackets).
    private static func connectTCP(_ address: String) throws(ClientError) -> Int32 {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ClientError(description: "\(address) is not HOST:PORT")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw ClientError(description: "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(first) }
        var reason = ECONNREFUSED
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let descriptor = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if descriptor >= 0 {
                if Glibc.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return descriptor }
                reason = errno
                close(descriptor)
            }
            candidate = info.pointee.ai_next
        }
        throw ClientError(
            description: "no memoryd answers on \(address) either (\(String(cString: strerror(reason)))); "
                + "point --http (or MEMORYD_HTTP) at its TCP listener")
    }
}
