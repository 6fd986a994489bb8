/// Maps method and path to handlers; answers 404 and 405 itself, as JSON errors.
public struct HTTPRouter: Sendable {
    /// A route handler: called on one of the server's few threads, so it must not block; work that
    /// waits answers ``HTTPResponse/deferred(_:)`` or ``HTTPResponse/blocking(_:)``.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private var routes: [String: [String: Handler]] = [:]
    /// Routes with `{name}` segments, by their pattern's segments.
    private var patterns: [(segments: [Substring], handlers: [String: Handler])] = []

    public init() {}

    /// Registers `handler` for `method` on `path`; a segment written `{name}` matches any one segment,
    /// which the handler finds in ``HTTPRequest/pathParameters`` (`/v1/tasks/{id}`).
    public mutating func route(_ method: HTTPMethod, _ path: String, _ handler: @escaping Handler) {
        guard path.contains("{") else {
            routes[path, default: [:]][method.rawValue] = handler
            return
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if let index = patterns.firstIndex(where: { $0.segments == segments }) {
            patterns[index].handlers[method.rawValue] = handler
        } else {
            patterns.append((segments, [method.rawValue: handler]))
        }
    }

    /// The handlers for `path` and the values of its `{name}` segments.
    private func match(_ path: String) -> (handlers: [String: Handler], parameters: [String: String])? {
        if let handlers = routes[path] { return (handlers, [:]) }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for pattern in patterns where pattern.segments.count == segments.count {
            var parameters: [String: String] = [:]
            let matches = zip(pattern.segments, segments).allSatisfy { expected, actual in
                if expected.hasPrefix("{") && expected.hasSuffix("}") {
                    guard !actual.isEmpty else { return false }
                    parameters[String(expected.dropFirst().dropLast())] = String(actual)
                    return true
                }
                return expected == actual
            }
            if matches { return (pattern.handlers, parameters) }
        }
        return nil
    }

    /// The response for `request`.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let (handlers, parameters) = match(request.path) else {
            return .error(404, code: "not_found", message: "no such path: \(request.path)")
        }
        var request = request
        request.pathParameters = parameters
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
