import JobkitDaemon

/// Who may change what the daemon runs (submit, cancel, reload), and who may read what reveals task
/// parameters and output (`/v1/events`, `/v1/tasks*`, `/v1/status`).
///
/// On the Unix socket: processes of the daemon's own user, or root, by `SO_PEERCRED`. On TCP: requests
/// with `Authorization: Bearer TOKEN` matching `daemon.token`; without a token configured, nobody may
/// change anything there, and reads are open only with `tcp_reads = "open"`. `/metrics`, `/healthz`,
/// `/readyz`, `/v1/alerts`, the OpenAPI document and the page stay open.
struct APIAuthorization: Sendable {
    /// Bearer token that unlocks mutating endpoints and reads on TCP; `nil` keeps them socket-only.
    let token: String?
    let daemonUID: UInt32
    /// Whether TCP reads need the token.
    var tcpReads: MemorydConfig.TCPReads = .token

    /// `nil` when the peer may change things; otherwise the 401 or 403 to answer.
    func refusal(for request: HTTPRequest) -> HTTPResponse? {
        check(request, tcpOpen: false, what: "changing what the daemon runs")
    }

    /// `nil` when the peer may read task parameters and output; otherwise the 401 or 403 to answer.
    func readRefusal(for request: HTTPRequest) -> HTTPResponse? {
        check(request, tcpOpen: tcpReads == .open, what: "reading task parameters and output")
    }

    private func check(_ request: HTTPRequest, tcpOpen: Bool, what: String) -> HTTPResponse? {
        switch request.peer {
        case .unix(let uid, _):
            if uid == daemonUID || uid == 0 { return nil }
            return .error(
                403, code: "forbidden", message: "uid \(uid) may not use this daemon, which runs as uid \(daemonUID)")
        case .tcp:
            if tcpOpen { return nil }
            guard let token else {
                return .error(
                    403, code: "forbidden",
                    message: "\(what) needs the Unix socket; set daemon.token to allow it on TCP with a bearer token")
            }
            if let sent = request.header("Authorization"), Self.matches(sent, "Bearer " + token) { return nil }
            return .error(
                401, code: "unauthorized", message: "\(what) on TCP needs Authorization: Bearer TOKEN (daemon.token)",
                headers: [("WWW-Authenticate", #"Bearer realm="memoryd""#)])
        case .unknown:
            return .error(403, code: "forbidden", message: "the peer's identity could not be established")
        }
    }

    /// Compares in time that depends only on the lengths, so the token cannot be guessed byte by byte
    /// from response times.
    static func matches(_ sent: String, _ expected: String) -> Bool {
        let (left, right) = (Array(sent.utf8), Array(expected.utf8))
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
        }
        return difference == 0
    }
}
