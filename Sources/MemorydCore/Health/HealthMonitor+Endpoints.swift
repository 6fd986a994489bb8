import FoundationEssentials
import Jobkit
import JobkitDaemon
import JobkitHealth

extension HealthMonitor {
    /// One line of a `/healthz` or `/readyz` answer.
    struct Check {
        var name: String
        var status: HealthStatus
        var message: String
    }

    /// Whether every loop of the daemon has been petted within its timeout (``livenessWatchdogs``).
    var loopsAnswer: Bool {
        !watchdogs.overdue().contains { Self.livenessWatchdogs.contains($0.watchdog.name) }
    }

    /// `/healthz`: 200 while the daemon's loops are petted, 503 once one is overdue.
    func liveness() -> HTTPResponse {
        let overdue = Dictionary(
            watchdogs.overdue().map { ($0.watchdog.name, $0.late) }, uniquingKeysWith: { first, _ in first })
        let checks = Self.livenessWatchdogs.map { name in
            overdue[name].map {
                Check(
                    name: name, status: .critical,
                    message: "not answering, \(GoFormat.humanizeDuration($0.seconds)) past its deadline")
            }
                ?? Check(name: name, status: .ok, message: "answering")
        }
        return Self.report(checks)
    }

    /// How healthy the daemon is for `/readyz` and `memoryd health`: config loaded, the queue and the
    /// event log writing, no critical alert firing, and each health check's latest answer; the status is
    /// the worst of them.
    ///
    /// - Parameters:
    ///   - store: why the queue cannot write (or answer), `nil` while it can.
    ///   - eventLog: why the event log cannot write, `nil` while it can.
    func readiness(store: String?, eventLog: String?, configLoaded: Bool) -> HTTPResponse {
        var checks = [
            Check(
                name: "config", status: configLoaded ? .ok : .critical, message: configLoaded ? "loaded" : "not loaded"),
            Check(
                name: "store", status: store == nil ? .ok : .critical,
                message: store.map { "cannot write: \($0)" } ?? "writing"),
            Check(
                name: "event_log", status: eventLog == nil ? .ok : .critical,
                message: eventLog.map { "cannot write: \($0)" } ?? "writing"),
        ]
        let firing = alerts.filter { $0.state == .firing }
        let critical = firing.contains { $0.labels["severity"] == "critical" }
        let names = Set(firing.map(\.name)).sorted().joined(separator: ", ")
        checks.append(
            Check(
                name: "alerts", status: critical ? .critical : (firing.isEmpty ? .ok : .warning),
                message: firing.isEmpty ? "none firing" : "firing: \(names)"))
        for report in self.checks.reports {
            guard let result = report.result else { continue }
            checks.append(Check(name: "check:" + report.name, status: result.status, message: result.message))
        }
        return Self.report(checks)
    }

    /// `{"status": worst, "checks": [...]}`, 503 when the worst is critical.
    private static func report(_ checks: [Check]) -> HTTPResponse {
        let worst = checks.map(\.status).max() ?? .ok
        var body: [UInt8] = []
        JSONValue.object([
            "status": .string(worst.rawValue),
            "checks": .array(
                checks.map {
                    .object([
                        "name": .string($0.name), "status": .string($0.status.rawValue), "message": .string($0.message),
                    ])
                }),
        ]).append(to: &body)
        return HTTPResponse(status: worst == .critical ? 503 : 200, contentType: "application/json", body: body + [10])
    }

    /// `GET /v1/alerts`, shaped like Prometheus' `/api/v1/alerts` data.
    func alertsResponse() -> HTTPResponse {
        let items: [JSONValue] = alerts.map { alert in
            .object([
                "labels": .object(alert.labels.mapValues(JSONValue.string)),
                "annotations": .object(alert.annotations.mapValues(JSONValue.string)),
                "state": .string(alert.state.rawValue),
                "activeAt": .string(AlertmanagerNotifier.timestamp(alert.activeAt)),
                "value": .string(GoFormat.exponent(alert.value)),
            ])
        }
        var body: [UInt8] = []
        JSONValue.object(["alerts": .array(items)]).append(to: &body)
        return .json(body + [UInt8(ascii: "\n")])
    }
}
