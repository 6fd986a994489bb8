#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP/1.1 exchange per connection (`Connection: close`), over a Unix socket or TCP: the client of
/// the CLI, the Alertmanager notifier and the tests.
package struct HTTPClient: Sendable {
    /// A request to send.
    package struct Request: Sendable {
        package var method: String
        /// The request target: path and query.
        package var path: String
        /// Sent in order after `Host` and `Connection`; `Content-Length` is added for a body.
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]?

        package init(
            _ method: String, _ path: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil
        ) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
        }
    }

    /// The status line and headers of a response.
    package struct Head: Sendable {
        package var status: Int
        /// The status line as received, for messages (`HTTP/1.1 503 Service Unavailable`).
        package var statusLine: String
        /// Headers by lower-cased name.
        package var headers: [String: String]
    }

    /// A response with its whole body.
    package struct Response: Sendable {
        package var head: Head
        package var body: [UInt8]

        package var status: Int { head.status }
        package var headers: [String: String] { head.headers }
    }

    /// Why an exchange did not give a response: no connection, a failed send or read, or a malformed answer.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        /// Whether no connection could be made at all (nothing was sent).
        package let notConnected: Bool
        package let description: String
    }

    /// Where requests go.
    package let address: SocketAddress
    /// How long a connection, a send or a read may take; `nil` waits as long as the kernel does.
    package let timeout: Duration?
    /// The `Host` header: `localhost` for a Unix socket, `HOST:PORT` for TCP.
    package var host: String {
        if case .unix = address { return "localhost" }
        return address.description
    }

    package init(_ address: SocketAddress, timeout: Duration? = nil) {
        self.address = address
        self.timeout = timeout
    }

    /// Sends `request` and returns the response with its whole body.
    package func fetch(_ request: Request) throws(Failure) -> Response {
        try exchange(raw: encode(request))
    }

    /// Sends `bytes` as they are (so tests can send malformed requests) and returns the response with its
    /// whole body.
    package func exchange(raw bytes: [UInt8]) throws(Failure) -> Response {
        var body: [UInt8] = []
        let head = try exchange(bytes) { chunk in
            body += chunk
            return true
        }
        return Response(head: head, body: body)
    }

    /// Sends `request` and hands the body to `onBody` as it arrives, until the server ends it or `onBody`
    /// returns `false`.
    package func exchange(_ request: Request, onBody: ([UInt8]) -> Bool) throws(Failure) -> Head {
        try exchange(encode(request), onBody: onBody)
    }

    private func exchange(_ bytes: [UInt8], onBody: ([UInt8]) -> Bool) throws(Failure) -> Head {
        let descriptor: Int32
        do {
            descriptor = try address.connect(timeout: timeout)
        } catch {
            throw Failure(notConnected: true, description: error.reason)
        }
        defer { close(descriptor) }
        try send(bytes, to: descriptor)
        var reader = HTTPResponseReader(descriptor: descriptor)
        let head = try reader.readHead()
        try reader.readBody(
            chunked: head.headers["transfer-encoding"]?.lowercased() == "chunked",
            length: head.headers["content-length"].flatMap { Int($0) }, onBody)
        return head
    }

    /// The bytes of `request`.
    package func encode(_ request: Request) -> [UInt8] {
        var text = "\(request.method) \(request.path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (name, value) in request.headers { text += "\(name): \(value)\r\n" }
        if let body = request.body { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + (request.body ?? [])
    }

    private func send(_ bytes: [UInt8], to descriptor: Int32) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { buffer in
                SystemCall.retrying { Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
            }
            guard count > 0 else {
                throw Failure(
                    notConnected: false, description: "sending the request: \(String(cString: strerror(errno)))")
            }
            sent += count
        }
    }
}
