/// Maps method and path to handlers; answers 404 and 405 itself, as JSON errors.
public struct HTTPRouter: Sendable {
    /// A route handler: called on a libmicrohttpd thread, must not block for long.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private var routes: [String: [String: Handler]] = [:]

    public init() {}

    /// Registers `handler` for `method` on the exact `path`.
    public mutating func route(_ method: HTTPMethod, _ path: String, _ handler: @escaping Handler) {
        routes[path, default: [:]][method.rawValue] = handler
    }

    /// The response for `request`.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let handlers = routes[request.path] else {
            return .error(404, code: "not_found", message: "no such path: \(request.path)")
        }
        if let handler = handlers[request.method] { return handler(request) }
        if request.method == "HEAD", let get = handlers["GET"] {
            // libmicrohttpd sends the headers of a complete body without the body; a stream is not started.
            var response = get(request)
            if case .stream = response.body { response.body = .bytes([]) }
            return response
        }
        let allowed = handlers.keys.sorted().joined(separator: ", ")
        return .error(
            405, code: "method_not_allowed",
            message: "\(request.method) is not allowed on \(request.path); use \(allowed)",
            headers: [("Allow", allowed)])
    }
}
