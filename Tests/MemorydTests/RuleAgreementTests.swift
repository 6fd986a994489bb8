import Foundation
import Testing

/// One rule file, loaded by memoryd and by a real Prometheus (Debian's package) scraping that memoryd
/// with Prometheus's default scrape config: after failures and a slow task, both report the same alerts
/// firing, with the same labels (the target labels `job` and `instance` included) and the same rendered
/// annotations. The rules use set operators, `group_left`, `offset`, `*_over_time` and `label_replace`
/// besides the basics, `by (job_type)` and `by (instance)`, `up`, and templates with `$labels` whole,
/// `printf`, `humanize` and `$externalLabels`.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct RuleAgreementTests {
    static let rules = """
        groups:
          - name: agreement
            rules:
              - alert: JobFailing
                expr: sum by (job_type) (jobkit_tasks_total{outcome="failure"}) > 0
                labels:
                  severity: warning
                annotations:
                  summary: "{{ $labels.job_type }} failed {{ $value }} time(s)"
                  description: '{{ printf "%.1f failures" $value }}, {{ $value | humanize }} in {{ $externalLabels.region }}'
              - alert: FailuresIncreasing
                expr: increase(jobkit_tasks_total{outcome="failure"}[1m]) > 0
                for: 2s
                annotations:
                  labels: "{{ $labels }}"
              - alert: SlowJob
                expr: histogram_quantile(0.9, sum by (le, job_type) (jobkit_task_duration_seconds_bucket{job_type="slow"})) > 0.5
              - alert: FailureRatio
                expr: |
                  sum by (job_type) (jobkit_tasks_total{outcome="failure"})
                    / on (job_type) sum by (job_type) (jobkit_tasks_total) >= 0.5
                annotations:
                  ratio: "{{ $value | humanizePercentage }} of {{ $labels.job_type | toUpper }}"
              - alert: NeverFires
                expr: jobkit_queue_depth{state="running"} > 1000
              - alert: NothingScheduled
                expr: absent(jobkit_tasks_total{job_type="nightly"})
                labels:
                  severity: info
              - alert: OnlySuccesses
                expr: |
                  sum by (job_type) (jobkit_tasks_total{job_type!="housekeeping"}) > 0
                    unless on (job_type) sum by (job_type) (jobkit_tasks_total{outcome="failure"}) > 0
              - alert: FailedAndRanTwice
                expr: |
                  sum by (job_type) (jobkit_tasks_total{outcome="failure"}) > 0
                    and on (job_type) sum by (job_type) (jobkit_tasks_total) >= 2
              - alert: EitherJob
                expr: sum by (job_type) (jobkit_tasks_total{job_type="broken"}) > 100 or sum by (job_type) (jobkit_tasks_total{job_type="slow"}) > 0
              - alert: TeamFailures
                expr: |
                  jobkit_tasks_total{outcome="failure"}
                    * on (job_type) group_left (team) label_replace(sum by (job_type) (jobkit_tasks_total), "team", "core", "", "")
                    > 0
              - alert: FailedEarlier
                expr: sum by (job_type) (jobkit_tasks_total{outcome="failure"} offset 3s) > 0
              - alert: FailedInTheLastMinute
                expr: max_over_time(jobkit_tasks_total{outcome="failure"}[1m]) > 0
              - alert: FailuresOnInstance
                expr: sum by (instance) (jobkit_tasks_total{outcome="failure"}) > 0
                annotations:
                  summary: "{{ $labels.instance | stripPort }} has failures"
              - alert: Scraped
                expr: up{job="memoryd"} == 1
                annotations:
                  labels: "{{ $labels }}"
                  where: '{{ with query "up" }}{{ . | first | label "instance" }}{{ end }}'
        """

    static let config = """
        [jobs.broken]
        command = ["false"]

        [jobs.slow]
        command = ["sleep", "1"]

        [health]
        rule_files = ["rules.yml"]
        evaluation_interval = "1s"
        external_labels = { region = "test" }
        """

    /// The alerts both must report firing, labels and all, for memoryd listening on `instance`.
    static func expected(instance: String) -> Set<[String: String]> {
        let target = ["job": "memoryd", "instance": instance]
        return [
            ["alertname": "JobFailing", "job_type": "broken", "severity": "warning"],
            target.merging(["alertname": "FailuresIncreasing", "job_type": "broken", "outcome": "failure"]) { a, _ in a },
            ["alertname": "SlowJob", "job_type": "slow"],
            ["alertname": "FailureRatio", "job_type": "broken"],
            ["alertname": "NothingScheduled", "job_type": "nightly", "severity": "info"],
            ["alertname": "OnlySuccesses", "job_type": "slow"],
            ["alertname": "FailedAndRanTwice", "job_type": "broken"],
            ["alertname": "EitherJob", "job_type": "slow"],
            target.merging(["alertname": "TeamFailures", "job_type": "broken", "outcome": "failure", "team": "core"]) {
                a, _ in a
            },
            ["alertname": "FailedEarlier", "job_type": "broken"],
            target.merging(["alertname": "FailedInTheLastMinute", "job_type": "broken", "outcome": "failure"]) { a, _ in a },
            ["alertname": "FailuresOnInstance", "instance": instance],
            target.merging(["alertname": "Scraped"]) { a, _ in a },
        ]
    }
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
            scraping: memorydPort, in: directory.appendingPathComponent("prometheus"), ruleFiles: [rules.path],
            externalLabels: ["region": "test"])
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

        let expected = Self.expected(instance: "127.0.0.1:\(memorydPort)")
        var last = (memoryd: Set<[String: String]>(), prometheus: Set<[String: String]>())
        let agreed = try await poll(
            "both to fire the expected alerts", deadline: Self.deadline,
            context: { "memoryd: \(last.memoryd), Prometheus: \(last.prometheus)" }
        ) { () -> Bool? in
            last = (try await Self.firing(memorydAlerts(daemon)), try await Self.firing(prometheusAlerts(api)))
            return last.memoryd == expected && last.prometheus == expected ? true : nil
        }
        #expect(agreed)
        // The rendered annotations agree too, once both have seen the second failure.
        var annotations = (memoryd: [[String: String]: [String: String]](), prometheus: [[String: String]: [String: String]]())
        let summary = try await poll(
            "the same annotations", deadline: Self.deadline,
            context: { "memoryd: \(annotations.memoryd)\nPrometheus: \(annotations.prometheus)" }
        ) { () -> String? in
            annotations = (try await Self.annotations(memorydAlerts(daemon)), try await Self.annotations(prometheusAlerts(api)))
            let failing = annotations.memoryd[expected.first { $0["alertname"] == "JobFailing" }!]
            return annotations.memoryd == annotations.prometheus && failing?["summary"] == "broken failed 2 time(s)"
                ? failing?["description"] : nil
        }
        #expect(summary == "2.0 failures, 2 in test")
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

    /// The annotations of each firing alert, by its labels.
    static func annotations(_ alerts: [[String: Any]]) -> [[String: String]: [String: String]] {
        var result: [[String: String]: [String: String]] = [:]
        for alert in alerts where alert["state"] as? String == "firing" {
            guard let labels = alert["labels"] as? [String: String] else { continue }
            result[labels] = alert["annotations"] as? [String: String] ?? [:]
        }
        return result
    }

    /// The label sets of firing alerts.
    static func firing(_ alerts: [[String: Any]]) -> Set<[String: String]> {
        Set(alerts.filter { $0["state"] as? String == "firing" }.compactMap { $0["labels"] as? [String: String] })
    }
}
