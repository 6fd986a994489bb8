import JobkitHealth
import JobkitMetrics
import Testing

/// What rules see besides the registry's own labels: the target labels a Prometheus scrape adds, `up`,
/// external labels and URL in templates, queries from templates, and a group's `limit`.
struct TargetLabelsTests {
    static let minute: Int64 = 60_000
    static let target: Labels = ["job": "memoryd", "instance": "127.0.0.1:9477"]

    let registry = MetricsRegistry()

    func engine(_ rules: String, externalLabels: Labels = [:], externalURL: String = "") throws -> RuleEngine {
        RuleEngine(
            groups: try RuleFile.parse(rules, file: "t.yml"), defaultIntervalMilliseconds: Self.minute,
            targetLabels: Self.target, externalLabels: externalLabels, externalURL: externalURL)
    }

    @Test func everySeriesGetsTheTargetLabelsAndUpIsOne() throws {
        try registry.counter("tasks_total", help: "T.", labelNames: ["job_type"]).labels("extract").increment()
        let engine = try engine(
            """
            groups:
              - name: g
                rules:
                  - alert: Tasks
                    expr: sum by (job, instance, job_type) (tasks_total) > 0
                  - alert: Up
                    expr: up{job="memoryd"} == 1
            """)
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        #expect(
            Set(engine.activeAlerts.map(\.labels)) == [
                Self.target.merging(["alertname": "Tasks", "job_type": "extract"]) { a, _ in a },
                Self.target.merging(["alertname": "Up"]) { a, _ in a },
            ])
    }

    @Test func aSeriesWithATargetLabelOfItsOwnKeepsItAsExported() throws {
        try registry.gauge("legacy", help: "L.", labelNames: ["job", "exported_job"]).labels("mine", "older").set(1)
        let engine = try engine("groups: [{name: g, rules: [{alert: L, expr: legacy}]}]")
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        #expect(
            engine.activeAlerts.first?.labels == [
                "alertname": "L", "job": "memoryd", "instance": "127.0.0.1:9477", "exported_job": "older",
                "exported_exported_job": "mine",
            ])
    }

    @Test func templatesSeeExternalLabelsTheURLAndQueries() throws {
        try registry.gauge("trigger", help: "T.").unlabelled.set(1)
        try registry.gauge("elsewhere", help: "E.", labelNames: ["disk"]).labels("sda").set(0.93)
        let engine = try engine(
            """
            groups:
              - name: g
                rules:
                  - alert: Templated
                    expr: trigger > 0
                    annotations:
                      region: "{{ $externalLabels.region }} {{ $externalURL }} {{ pathPrefix }}"
                      disk: '{{ with query "elsewhere" }}{{ . | first | label "disk" }} at {{ . | first | value | humanizePercentage }}{{ end }}'
            """, externalLabels: ["region": "eu"], externalURL: "http://db1:9477/memoryd")
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        let alert = try #require(engine.activeAlerts.first)
        // The query names a series no rule's expression reads: it is kept for the template all the same.
        #expect(alert.annotations == ["region": "eu http://db1:9477/memoryd /memoryd", "disk": "sda at 93%"])
        #expect(alert.labels["region"] == nil)
        #expect(alert.adding(externalLabels: ["region": "eu", "alertname": "other"]).labels["region"] == "eu")
        #expect(alert.adding(externalLabels: ["alertname": "other"]).labels["alertname"] == "Templated")
    }

    @Test func aGroupLimitFailsTheRuleAndDropsItsAlerts() throws {
        let gauge = try registry.gauge("g", help: "G.", labelNames: ["n"])
        for name in ["a", "b", "c"] { try gauge.labels(name).set(1) }
        let engine = try engine(
            """
            groups:
              - name: g
                limit: 2
                rules:
                  - alert: Many
                    expr: g > 0
                  - record: many:g
                    expr: g > 0
            """)
        let evaluation = engine.evaluate(group: 0, at: 0, families: registry.collect())
        #expect(evaluation.failures.map(\.reason) == ["exceeded limit of 2 with 3 alerts", "exceeded limit of 2 with 3 series"])
        #expect(engine.activeAlerts.isEmpty)
        try gauge.labels("c").set(0)
        #expect(engine.evaluate(group: 0, at: Self.minute, families: registry.collect()).failures.isEmpty)
        #expect(engine.activeAlerts.count == 2)
    }
}
