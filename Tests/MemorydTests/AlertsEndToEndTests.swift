import Foundation
import Testing

/// The daemon evaluates its rule files: a failing job raises an alert that shows in /v1/alerts,
/// `memoryd alerts`, `memoryd health`, /readyz, the event stream and /metrics.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct AlertsEndToEndTests {
    static let rules = """
        groups:
          - name: jobs
            rules:
              - alert: JobFailing
                expr: jobkit_tasks_total{outcome="failure"} > 0
                labels:
                  severity: critical
                annotations:
                  summary: "{{ $labels.job_type }} failed {{ $value }} time(s)"
        """

    static let config = """
        [jobs.broken]
        command = ["false"]

        [health]
        rule_files = ["rules.yml"]
        evaluation_interval = "1s"
        """

    func makeDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("alerts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.rules.write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        try Self.config.write(to: directory.appendingPathComponent("memoryd.toml"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test func aFailingJobRaisesAnAlertEverywhereAnOperatorLooks() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try DaemonProcess(arguments: ["--config", directory.appendingPathComponent("memoryd.toml").path])
        let port = try await daemon.waitForPort()
        let memoryd = DaemonProcess.binary.path
        let socket = ["--socket", daemon.socketPath]

        let healthy = try await runTool(memoryd, ["health"] + socket)
        #expect(healthy.status == 0, "\(healthy.output)")
        #expect(try await runTool(memoryd, ["alerts"] + socket).output.contains("no alerts pending or firing"))

        #expect(try await runTool(memoryd, ["submit", "broken"] + socket).status == 0)
        let alerts = try await poll("JobFailing firing", deadline: .seconds(30)) { () -> String? in
            let text = try await runTool(memoryd, ["alerts", "--json"] + socket).output
            return text.contains(#""state":"firing""#) ? text : nil
        }
        let document = try JSONSerialization.jsonObject(with: Data(alerts.utf8)) as? [String: Any]
        let alert = try #require((document?["alerts"] as? [[String: Any]])?.first)
        #expect(
            alert["labels"] as? [String: String]
                == [
                    "alertname": "JobFailing", "job_type": "broken", "outcome": "failure", "severity": "critical",
                    // The target labels a Prometheus scrape would add: the scrape job and this daemon's address.
                    "job": "memoryd", "instance": "127.0.0.1:\(port)",
                ])
        #expect(alert["annotations"] as? [String: String] == ["summary": "broken failed 1 time(s)"])
        #expect(alert["value"] as? String == "1e+00")
        #expect((alert["activeAt"] as? String)?.hasSuffix("Z") == true)

        let human = try await runTool(memoryd, ["alerts"] + socket).output
        #expect(human.contains("JobFailing") && human.contains("firing") && human.contains("broken failed 1 time(s)"))
        let health = try await runTool(memoryd, ["health"] + socket)
        #expect(health.status == 2)
        #expect(health.output.contains("critical") && health.output.contains("firing: JobFailing"))
        let ready = try await runTool("curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/readyz"]).output
        #expect(ready.hasSuffix("\n503"))
        #expect(ready.contains(#""name":"store","status":"ok""#))

        // Both answers match the OpenAPI document.
        let readyBody = String(ready.dropLast(4))
        let documented = [
            #"{"path": "/v1/alerts", "method": "get", "status": 200, "media": "application/json", "body": \#(alerts)}"#,
            #"{"path": "/readyz", "method": "get", "status": 503, "media": "application/json", "body": \#(readyBody)}"#,
        ].map { $0.replacingOccurrences(of: "\n", with: "") }
        let validation = try await runTool(
            "python3", ["-c", OpenAPIConformanceTests.validator, OpenAPIConformanceTests.specPath],
            input: Data(documented.joined(separator: "\n").utf8))
        #expect(validation.output.contains("checked, 0 failures"), "\(validation.output)")

        let events = try await runTool(memoryd, ["events", "--kind", "alert_firing", "--json"] + socket)
        #expect(events.output.contains(#""alertname":"JobFailing""#), "\(events.output)")
        let metrics = try await runTool("curl", ["-s", "http://127.0.0.1:\(port)/metrics"]).output
        #expect(metrics.contains(#"jobkit_alerts{alertname="JobFailing",alertstate="firing"} 1"#))
        #expect(try await daemon.terminate() == 0)
    }

    @Test func aBrokenRuleFileIsReportedAtItsPlaceByCheckConfig() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = directory.appendingPathComponent("rules.yml")
        try Self.rules.replacingOccurrences(of: "> 0", with: "> 0 offset 5m").write(
            to: rules, atomically: true, encoding: .utf8)
        let check = try await runTool(
            DaemonProcess.binary.path, ["check-config", directory.appendingPathComponent("memoryd.toml").path])
        #expect(check.status != 0)
        #expect(
            check.output.contains(
                "\(rules.path):5:57: group \"jobs\", rule 1, \"JobFailing\": could not parse expression: offset and @ modifiers must be preceded by an instant vector selector, a range vector selector or a subquery"
            ), "\(check.output)")
    }
}
