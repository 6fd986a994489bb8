import JobkitSupport

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

    /// Sends `method path` with an optional `body` (JSON unless `contentType` says otherwise) and returns
    /// the whole response.
    ///
    /// - Throws: ``ClientError`` when no daemon answers on the socket or the response is malformed.
    public func send(
        _ method: String, _ path: String, json body: [UInt8]? = nil, contentType: String = "application/json",
        accept: String? = nil
    ) throws(ClientError) -> Response {
        var received: [UInt8] = []
        let head = try exchange(method, path, accept: accept, body: body, contentType: contentType) { chunk in
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
        _ method: String, _ path: String, accept: String?, body: [UInt8]?, contentType: String = "application/json",
        _ onBody: ([UInt8]) -> Bool
    ) throws(ClientError) -> (status: Int, headers: [String: String]) {
        var request = HTTPClient.Request(method, path, body: body)
        if let accept { request.headers.append(("Accept", accept)) }
        if body != nil { request.headers.append(("Content-Type", contentType)) }
        do {
            let head = try HTTPClient(.unix(path: socket)).exchange(request, onBody: onBody)
            return (head.status, head.headers)
        } catch let failure where failure.notConnected {
            // Only reads move to TCP: a change sent to another daemon than the user meant does harm.
            let refused =
                "no memoryd answers on \(socket) (\(failure.description)); start one with `memoryd run`, or point "
                + "--socket (or MEMORYD_SOCKET) at the one that runs"
            guard method == "GET", let fallback else { throw ClientError(description: refused) }
            guard let address = SocketAddress(hostPort: fallback.address) else {
                throw ClientError(description: "\(refused); and \(fallback.address) is not HOST:PORT")
            }
            if let token = fallback.token { request.headers.append(("Authorization", "Bearer " + token)) }
            do {
                let head = try HTTPClient(address).exchange(request, onBody: onBody)
                return (head.status, head.headers)
            } catch let tcp where tcp.notConnected {
                throw ClientError(
                    description: "\(refused); and on TCP: no memoryd answers on \(fallback.address) either "
                        + "(\(tcp.description)); point --http (or MEMORYD_HTTP) at its TCP listener")
            } catch {
                throw ClientError(description: "\(fallback.address): \(error.description)")
            }
        } catch {
            throw ClientError(description: "\(socket): \(error.description)")
        }
    }
}
