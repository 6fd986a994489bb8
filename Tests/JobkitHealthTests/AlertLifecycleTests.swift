import JobkitHealth
import JobkitMetrics
import Testing

/// The alert lifecycle of Prometheus 2.x, on evaluation times the test chooses (no wall clock).
struct AlertLifecycleTests {
    static let minute: Int64 = 60_000

    let registry = MetricsRegistry()

    func engine(_ rules: String) throws -> RuleEngine {
        RuleEngine(groups: try RuleFile.parse(rules, file: "test.yml"), defaultIntervalMilliseconds: Self.minute)
    }

    func states(_ evaluation: RuleEngine.Evaluation) -> [String] {
        evaluation.transitions.map { "\($0.from?.rawValue ?? "new")→\($0.to.rawValue)" }
    }

    @Test func pendingThenFiringAfterForThenResolved() throws {
        let depth = try registry.gauge("queue_depth", help: "Depth.", labelNames: ["state"]).labels("queued")
        let engine = try engine(
            """
            groups:
              - name: q
                rules:
                  - alert: Backlog
                    expr: queue_depth > 5
                    for: 2m
                    labels: {severity: "{{ $labels.state }}-page"}
                    annotations: {summary: "{{ $value }} queued"}
            """)
        depth.set(10)
        #expect(states(engine.evaluate(group: 0, at: 0, families: registry.collect())) == ["new→pending"])
        #expect(states(engine.evaluate(group: 0, at: Self.minute, families: registry.collect())) == [])
        depth.set(12)
        #expect(
            states(engine.evaluate(group: 0, at: 2 * Self.minute, families: registry.collect())) == ["pending→firing"])
        let firing = try #require(engine.activeAlerts.first)
        #expect(firing.labels == ["alertname": "Backlog", "state": "queued", "severity": "queued-page"])
        #expect(firing.annotations == ["summary": "12 queued"])
        #expect(firing.activeAt == 0)
        depth.set(1)
        #expect(
            states(engine.evaluate(group: 0, at: 3 * Self.minute, families: registry.collect())) == ["firing→inactive"])
        #expect(engine.activeAlerts.isEmpty)
    }

    @Test func aPendingAlertThatGoesAwayIsDroppedAndStartsOver() throws {
        let gauge = try registry.gauge("g", help: "G.").unlabelled
        let engine = try engine("groups: [{name: g, rules: [{alert: High, expr: g > 1, for: 5m}]}]")
        gauge.set(2)
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        gauge.set(0)
        #expect(
            states(engine.evaluate(group: 0, at: Self.minute, families: registry.collect())) == ["pending→inactive"])
        gauge.set(2)
        _ = engine.evaluate(group: 0, at: 2 * Self.minute, families: registry.collect())
        #expect(engine.activeAlerts.first?.activeAt == 2 * Self.minute)
    }

    @Test func forZeroFiresOnTheFirstEvaluation() throws {
        let gauge = try registry.gauge("g", help: "G.").unlabelled
        gauge.set(2)
        let engine = try engine("groups: [{name: g, rules: [{alert: High, expr: g > 1}]}]")
        #expect(
            states(engine.evaluate(group: 0, at: 0, families: registry.collect())) == ["new→pending", "pending→firing"])
    }

    @Test func keepFiringForHoldsAFiringAlert() throws {
        let gauge = try registry.gauge("g", help: "G.").unlabelled
        let engine = try engine("groups: [{name: g, rules: [{alert: High, expr: g > 1, keep_firing_for: 2m}]}]")
        gauge.set(2)
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        gauge.set(0)
        #expect(states(engine.evaluate(group: 0, at: Self.minute, families: registry.collect())) == [])
        #expect(engine.activeAlerts.first?.state == .firing)
        #expect(
            states(engine.evaluate(group: 0, at: 3 * Self.minute, families: registry.collect())) == ["firing→inactive"])
    }

    @Test func rateRulesReadTheHistory() throws {
        let failures = try registry.counter("failures_total", help: "F.").unlabelled
        let engine = try engine("groups: [{name: f, rules: [{alert: Failing, expr: 'rate(failures_total[5m]) > 0'}]}]")
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        #expect(engine.activeAlerts.isEmpty)
        failures.increment(by: 3)
        _ = engine.evaluate(group: 0, at: Self.minute, families: registry.collect())
        #expect(engine.activeAlerts.map(\.name) == ["Failing"])
    }

    @Test func recordingRulesFeedLaterRulesOfTheGroup() throws {
        let gauge = try registry.gauge("g", help: "G.", labelNames: ["job"])
        try gauge.labels("a").set(3)
        try gauge.labels("b").set(4)
        let engine = try engine(
            """
            groups:
              - name: r
                rules:
                  - record: total:g
                    expr: sum(g)
                  - alert: TotalHigh
                    expr: total:g > 6
            """)
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        #expect(engine.activeAlerts.first?.value == 7)
    }

    @Test func clashingLabelSetsFailTheRuleAndChangeNothing() throws {
        let gauge = try registry.gauge("g", help: "G.", labelNames: ["job"])
        try gauge.labels("a").set(3)
        try gauge.labels("b").set(4)
        let engine = try engine(
            "groups: [{name: c, rules: [{alert: Clash, expr: g > 1, labels: {job: same}}]}]")
        let evaluation = engine.evaluate(group: 0, at: 0, families: registry.collect())
        #expect(
            evaluation.failures.map(\.reason) == [
                "vector contains metrics with the same labelset after applying alert labels"
            ])
        #expect(engine.activeAlerts.isEmpty)
    }

    @Test func alertmanagerGetsFiringAlertsEveryResendDelayAndTheResolution() throws {
        let gauge = try registry.gauge("g", help: "G.").unlabelled
        let engine = try engine("groups: [{name: g, rules: [{alert: High, expr: g > 1}]}]")
        let delay = Self.minute
        gauge.set(2)
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        #expect(engine.alertsToSend(group: 0, at: 0, resendDelayMilliseconds: delay).count == 1)
        _ = engine.evaluate(group: 0, at: Self.minute, families: registry.collect())
        // lastSent + delay == now is not "before" now: Prometheus waits one more interval.
        #expect(engine.alertsToSend(group: 0, at: Self.minute, resendDelayMilliseconds: delay).isEmpty)
        _ = engine.evaluate(group: 0, at: 2 * Self.minute, families: registry.collect())
        #expect(engine.alertsToSend(group: 0, at: 2 * Self.minute, resendDelayMilliseconds: delay).count == 1)
        gauge.set(0)
        _ = engine.evaluate(group: 0, at: 3 * Self.minute, families: registry.collect())
        let resolved = engine.alertsToSend(group: 0, at: 3 * Self.minute, resendDelayMilliseconds: delay)
        #expect(resolved.map(\.resolvedAt) == [3 * Self.minute])
    }
}
