import JobkitDaemon

/// Who may call a route (``APIAuthorization`` decides for each request).
enum RouteAccess: String, Sendable, CaseIterable {
    /// Anyone who reaches a listener: metrics, health, alerts, schedules, the page, the API document.
    case open
    /// Reads that reveal task parameters or output: the daemon's own user (or root) on the socket; on
    /// TCP the bearer token, unless `daemon.tcp_reads = "open"`.
    case read
    /// Changes to what the daemon runs: the daemon's own user (or root) on the socket; on TCP the bearer
    /// token.
    case mutate
}

/// One route of the API: method, path (`{name}` matches one segment), who may call it, what answers.
struct Route: Sendable {
    let method: HTTPMethod
    let path: String
    let access: RouteAccess
    let handler: HTTPRouter.Handler

    init(_ method: HTTPMethod, _ path: String, _ access: RouteAccess, _ handler: @escaping HTTPRouter.Handler) {
        self.method = method
        self.path = path
        self.access = access
        self.handler = handler
    }
}

extension HTTPRouter {
    /// A router serving `routes`, each behind the check its access asks for.
    init(routes: [Route], authorization: APIAuthorization) {
        self.init()
        for route in routes {
            let handler = route.handler
            switch route.access {
            case .open:
                self.route(route.method, route.path, handler)
            case .read:
                self.route(route.method, route.path) { request in
                    authorization.readRefusal(for: request) ?? handler(request)
                }
            case .mutate:
                self.route(route.method, route.path) { request in
                    authorization.refusal(for: request) ?? handler(request)
                }
            }
        }
    }
}
