import Foundation
import Testing

/// One rule file, loaded by memoryd and by a real Prometheus (Debian's package) scraping that memoryd:
/// after failures and a slow task, both report the same alerts firing, with the same labels. The rules
/// use set operators, `group_left`, `offset`, `*_over_time` and `label_replace` besides the basics.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct RuleAgreementTests {
    static let rules = """
        groups:
          - name: agreement
            rules:
              - alert: JobFailing
                expr: sum by (job) (jobkit_tasks_total{outcome="failure"}) > 0
                labels:
                  severity: warning
                annotations:
                  summary: "{{ $labels.job }} failed {{ $value }} time(s)"
              - alert: FailuresIncreasing
                expr: increase(jobkit_tasks_total{outcome="failure"}[1m]) > 0
                for: 2s
              - alert: SlowJob
                expr: histogram_quantile(0.9, sum by (le, job) (jobkit_task_duration_seconds_bucket{job="slow"})) > 0.5
              - alert: FailureRatio
                expr: |
                  sum by (job) (jobkit_tasks_total{outcome="failure"})
                    / on (job) sum by (job) (jobkit_tasks_total) >= 0.5
              - alert: NeverFires
                expr: jobkit_queue_depth{state="running"} > 1000
              - alert: NothingScheduled
                expr: absent(jobkit_tasks_total{job="nightly"})
                labels:
                  severity: info
              - alert: OnlySuccesses
                expr: |
                  sum by (job) (jobkit_tasks_total{job!="housekeeping"}) > 0
                    unless on (job) sum by (job) (jobkit_tasks_total{outcome="failure"}) > 0
              - alert: FailedAndRanTwice
                expr: |
                  sum by (job) (jobkit_tasks_total{outcome="failure"}) > 0
                    and on (job) sum by (job) (jobkit_tasks_total) >= 2
              - alert: EitherJob
                expr: sum by (job) (jobkit_tasks_total{job="broken"}) > 100 or sum by (job) (jobkit_tasks_total{job="slow"}) > 0
              - alert: TeamFailures
                expr: |
                  jobkit_tasks_total{outcome="failure"}
                    * on (job) group_left (team) label_replace(sum by (job) (jobkit_tasks_total), "team", "core", "", "")
                    > 0
              - alert: FailedEarlier
                expr: sum by (job) (jobkit_tasks_total{outcome="failure"} offset 3s) > 0
              - alert: FailedInTheLastMinute
                expr: max_over_time(jobkit_tasks_total{outcome="failure"}[1m]) > 0
        """

    static let config = """
        [jobs.broken]
        command = ["false"]

        [jobs.slow]
        command = ["sleep", "1"]

        [health]
        rule_files = ["rules.yml"]
        evaluation_interval = "1s"
        """

    /// The alerts both must report firing, labels and all (Prometheus' `instance` set aside).
    static let expected: Set<[String: String]> = [
        ["alertname": "JobFailing", "job": "broken", "severity": "warning"],
        ["alertname": "FailuresIncreasing", "job": "broken", "outcome": "failure"],
        ["alertname": "SlowJob", "job": "slow"],
        ["alertname": "FailureRatio", "job": "broken"],
        ["alertname": "NothingScheduled", "job": "nightly", "severity": "info"],
        ["alertname": "OnlySuccesses", "job": "slow"],
        ["alertname": "FailedAndRanTwice", "job": "broken"],
        ["alertname": "EitherJob", "job": "slow"],
        ["alertname": "TeamFailures", "job": "broken", "outcome": "failure", "team": "core"],
        ["alertname": "FailedEarlier", "job": "broken"],
        ["alertname": "FailedInTheLastMinute", "job": "broken", "outcome": "failure"],
    ]
    static let deadline: Duration = .seconds(120)

    @Test func memorydAndPrometheusFireTheSameAlerts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = directory.appendingPathComponent("rules.yml")
        try Self.rules.write(to: rules, atomically: true, encoding: .utf8)
        let check = try await runTool("promtool", ["check", "rules", rules.path])
        #expect(check.status == 0, "promtool check rules: \(check.output)")
        try Self.config.write(to: directory.appendingPathComponent("memoryd.toml"), atomically: true, encoding: .utf8)

        let daemon = try DaemonProcess(arguments: ["--config", directory.appendingPathComponent("memoryd.toml").path])
        let memorydPort = try await daemon.waitForPort()
        let prometheus = try PrometheusServer(
            scraping: memorydPort, in: directory.appendingPathComponent("prometheus"), ruleFiles: [rules.path])
        let api = prometheus.api
        try await prometheus.waitUntilReady(deadline: Self.deadline)

        let memoryd = DaemonProcess.binary.path
        let socket = ["--socket", daemon.socketPath]
        for job in ["broken", "slow"] { #expect(try await runTool(memoryd, ["submit", job] + socket).status == 0) }
        // The failure counter must exist in both before it rises again, so that `increase` has two samples.
        _ = try await poll(
            "the failure in Prometheus", deadline: Self.deadline, context: { prometheus.process.printed }
        ) {
            try await PrometheusIntegrationTests.query(api, "jobkit_tasks_total{outcome=\"failure\"}").first
        }
        #expect(try await runTool(memoryd, ["submit", "broken"] + socket).status == 0)

        var last = (memoryd: Set<[String: String]>(), prometheus: Set<[String: String]>())
        let agreed = try await poll(
            "both to fire the expected alerts", deadline: Self.deadline,
            context: { "memoryd: \(last.memoryd), Prometheus: \(last.prometheus)" }
        ) { () -> Bool? in
            last = (try await Self.firing(memorydAlerts(daemon)), try await Self.firing(prometheusAlerts(api)))
            return last.memoryd == Self.expected && last.prometheus == Self.expected ? true : nil
        }
        #expect(agreed)
        // The templated annotations agree too, once both have seen the second failure.
        let summaries = try await poll("the same annotations", deadline: Self.deadline) { () -> String? in
            let ours = try await Self.annotations(memorydAlerts(daemon), "JobFailing")
            let theirs = try await Self.annotations(prometheusAlerts(api), "JobFailing")
            return ours == theirs && ours?["summary"] == "broken failed 2 time(s)" ? ours?["summary"] : nil
        }
        #expect(summaries == "broken failed 2 time(s)")
        #expect(prometheus.process.stop() == 0, "Prometheus: \(prometheus.process.printed)")
        #expect(try await daemon.terminate() == 0)
    }

    func memorydAlerts(_ daemon: DaemonProcess) async throws -> [[String: Any]] {
        let output = try await runTool(DaemonProcess.binary.path, ["alerts", "--json", "--socket", daemon.socketPath])
            .output
        let document = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return document?["alerts"] as? [[String: Any]] ?? []
    }

    func prometheusAlerts(_ api: String) async throws -> [[String: Any]] {
        let output = try await runTool("curl", ["-sS", "\(api)/api/v1/alerts"]).output
        let document = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return (document?["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
    }

    static func annotations(_ alerts: [[String: Any]], _ name: String) -> [String: String]? {
        alerts.first { ($0["labels"] as? [String: String])?["alertname"] == name }?["annotations"] as? [String: String]
    }

    /// The label sets of firing alerts, without Prometheus' `instance` target label.
    static func firing(_ alerts: [[String: Any]]) -> Set<[String: String]> {
        Set(
            alerts.filter { $0["state"] as? String == "firing" }.compactMap { alert in
                (alert["labels"] as? [String: String])?.filter { $0.key != "instance" }
            })
    }
}
