import JobkitMetrics
import JobkitSupport

/// HTTP request methods the router knows.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET", head = "HEAD", post = "POST", put = "PUT", delete = "DELETE", patch = "PATCH", options = "OPTIONS"
}

/// Who is on the other end of a connection.
public enum HTTPPeer: Sendable, Hashable {
    /// A process on a Unix socket, with its credentials from `SO_PEERCRED`.
    case unix(uid: UInt32, pid: Int32)
    /// A TCP client.
    case tcp
    /// Not known (a request built in a test, or credentials that could not be read).
    case unknown
}

/// A complete request as a route handler sees it.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path, without the query string.
    public var path: String
    /// Headers by lower-cased name.
    public var headers: [String: String]
    /// Query arguments by name.
    public var query: [String: String]
    public var body: [UInt8]
    /// Values of `{name}` segments of the matched route.
    public var pathParameters: [String: String] = [:]
    public var peer: HTTPPeer

    public init(
        method: String, path: String, headers: [String: String] = [:], query: [String: String] = [:],
        body: [UInt8] = [], peer: HTTPPeer = .unknown
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.query = query
        self.body = body
        self.peer = peer
    }

    /// The value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// A response; `Content-Type` is always set.
public struct HTTPResponse: Sendable {
    /// What follows the headers.
    public enum Body: Sendable {
        /// A complete body, sent with `Content-Length` (and gzipped when the client allows and it pays).
        case bytes([UInt8])
        /// A body produced while it is sent, with chunked transfer encoding; see ``HTTPStream``.
        case stream(@Sendable (HTTPStream) async -> Void)
        /// An answer that is not ready when the handler returns (it waits for the disk or for another
        /// thread): the connection waits, holding no thread, until the work calls ``HTTPResponder/respond(_:)``.
        /// The status, type and headers around it are not used.
        case deferred(@Sendable (HTTPResponder) -> Void)
    }

    public var status: Int
    public var contentType: String
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int = 200, contentType: String, headers: [(String, String)] = [], body: [UInt8]) {
        self.init(status: status, contentType: contentType, headers: headers, body: .bytes(body))
    }

    public init(status: Int = 200, contentType: String, headers: [(String, String)] = [], body: Body) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A streaming response: `producer` writes to the stream until it returns or the stream closes.
    public static func stream(
        contentType: String, headers: [(String, String)] = [],
        _ producer: @escaping @Sendable (HTTPStream) async -> Void
    ) -> HTTPResponse {
        HTTPResponse(contentType: contentType, headers: headers, body: .stream(producer))
    }

    /// An answer given later: `start` is called at once with the responder its work answers through.
    ///
    /// Handlers run on the server's few threads and must not block; one that waits for a commit hands the
    /// commit on and answers from its completion.
    public static func deferred(_ start: @escaping @Sendable (HTTPResponder) -> Void) -> HTTPResponse {
        HTTPResponse(status: 0, contentType: "", body: .deferred(start))
    }

    /// An answer from `body`, which may block (it waits on the disk or a lock held across one): it runs
    /// on a thread of its own, so the server's threads go on serving other connections meanwhile.
    public static func blocking(_ body: @escaping @Sendable () -> HTTPResponse) -> HTTPResponse {
        deferred { responder in
            NamedThread.start(name: "http-blocking") { responder.respond(body()) }
        }
    }

    /// A plain-text response.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// A JSON response from already-encoded bytes.
    public static func json(_ body: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: body)
    }

    /// The API's error shape: `{"error": {"code": …, "message": …}}`.
    public static func error(_ status: Int, code: String, message: String, headers: [(String, String)] = [])
        -> HTTPResponse
    {
        var body = Array(#"{"error":{"code":"#.utf8)
        JSONText.appendString(code, to: &body)
        body += #","message":"#.utf8
        JSONText.appendString(message, to: &body)
        body += "}}\n".utf8
        return HTTPResponse(status: status, contentType: "application/json", headers: headers, body: body)
    }
}
