import Foundation

/// An answer of the daemon's API, read with real curl.
struct CurlAnswer {
    let status: Int
    /// The body as text.
    let body: String
    /// What the request took as curl measured it, from connecting to the last byte: the daemon's share,
    /// without the time to start curl itself on a loaded machine.
    var seconds: Double = 0
    /// The body as a JSON object, empty when it is not one.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
    /// The `error.code` of a JSON error.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// Where curl reaches the daemon.
enum CurlTarget {
    case socket(String)
    case tcp(port: Int)
}

/// Calls `path` on the daemon with curl (as `user` through runuser when given); `maxTime` bounds the call.
func curl(
    _ method: String = "GET", _ path: String, at target: CurlTarget, body: String? = nil, headers: [String] = [],
    as user: String? = nil, maxTime: Double? = nil
) async throws -> CurlAnswer {
    var arguments = ["-sS", "-X", method, "-w", "\n%{http_code} %{time_total}"]
    if let maxTime { arguments += ["-m", String(maxTime)] }
    for header in headers { arguments += ["-H", header] }
    if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
    switch target {
    case .socket(let socket): arguments += ["--unix-socket", socket, "http://localhost" + path]
    case .tcp(let port): arguments.append("http://127.0.0.1:\(port)\(path)")
    }
    let result =
        if let user {
            try await runTool("runuser", ["-u", user, "--", "curl"] + arguments)
        } else {
            try await runTool("curl", arguments)
        }
    // The body, then the status code and the time on a line of their own.
    let split = result.output.range(of: "\n", options: .backwards)
    let last = (split.map { result.output[$0.upperBound...] } ?? "").split(separator: " ")
    return CurlAnswer(
        status: last.first.flatMap { Int($0) } ?? 0,
        body: String(split.map { result.output[..<$0.lowerBound] } ?? ""),
        seconds: last.dropFirst().first.flatMap { Double($0) } ?? 0)
}
