import JobkitDaemon

/// Who may change what the daemon runs (submit, cancel, reload).
///
/// On the Unix socket: processes of the daemon's own user, or root, by `SO_PEERCRED`. On TCP: requests
/// with `Authorization: Bearer TOKEN` matching `daemon.token`; without a token, nobody.
struct APIAuthorization: Sendable {
    /// Bearer token that unlocks mutating endpoints on TCP; `nil` keeps them socket-only.
    let token: String?
    let daemonUID: UInt32

    /// `nil` when the peer may change things; otherwise the 403 to answer.
    func refusal(for request: HTTPRequest) -> HTTPResponse? {
        switch request.peer {
        case .unix(let uid, _):
            if uid == daemonUID || uid == 0 { return nil }
            return .error(
                403, code: "forbidden", message: "uid \(uid) may not change this daemon, which runs as uid \(daemonUID)"
            )
        case .tcp:
            if let token, request.header("Authorization") == "Bearer \(token)" { return nil }
            let how = token == nil ? "set daemon.token to allow them on TCP" : "send Authorization: Bearer TOKEN"
            return .error(
                403, code: "forbidden", message: "changing what the daemon runs needs the Unix socket; \(how)")
        case .unknown:
            return .error(403, code: "forbidden", message: "the peer's identity could not be established")
        }
    }
}
