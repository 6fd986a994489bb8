import Foundation
import Jobkit
import JobkitHealth
import JobkitMetrics
import Testing

/// The example of docs/health.md: the test runs the code between the markers, and checks the document
/// shows that code as it is here.
func healthExample() async throws -> (engine: RuleEngine, health: Task<Void, Never>) {
    // BEGIN EXAMPLE
    let clock = JobClock.continuous
    let registry = MetricsRegistry()
    let events = try EventStream()

    // A loop of yours: 30 s without a pet() is a WatchdogExpired alert.
    let loops = try WatchdogSet(clock: clock)
    loops.add("ingest", timeout: .seconds(30), labels: ["severity": "critical"])

    // A check of yours, every 30 s: a warning or critical answer is a HealthCheckFailed alert.
    let checks = try HealthChecks(clock: clock)
    checks.register(
        HealthCheck("spool", interval: .seconds(30)) {
            guard let waiting = try? FileManager.default.contentsOfDirectory(atPath: "/var/spool/ingest").count else {
                return .critical("cannot read /var/spool/ingest")
            }
            return waiting < 1_000 ? .ok("\(waiting) files waiting") : .warning("\(waiting) files waiting")
        })
    registry.register(collector: HealthMetricsCollector(watchdogs: [loops], checks: checks))

    // Rules in Prometheus' format, over the same registry, with the same lifecycle.
    let rules = """
        groups:
          - name: spool
            rules:
              - alert: SpoolUnhealthy
                expr: jobkit_health_check_status{check="spool",status!="ok"} == 1
        """
    let engine = RuleEngine(groups: try RuleFile.parse(rules, file: "alerts.yml"), defaultIntervalMilliseconds: 1000)
    let runner = try RuleRunner(engine: engine, registry: registry, events: events, clock: clock) { alerts in
        print("send to your pager:", alerts.map(\.name))
    }
    let health = Task {
        await withDiscardingTaskGroup { group in
            group.addTask { await checks.run() }
            group.addTask { await runner.run(sources: [loops, checks]) }
        }
    }
    loops.pet("ingest")  // each time round the loop
    // END EXAMPLE
    return (engine, health)
}

@Test(.timeLimit(.minutes(1)))
func theDocumentedHealthExampleRaisesItsAlerts() async throws {
    let (engine, health) = try await healthExample()
    defer { health.cancel() }
    // The spool directory is not there, so the check answers critical: its own alert fires, and so does the rule reading its metric.
    for _ in 0..<1000 {
        let names = Set(engine.activeAlerts.filter { $0.state == .firing }.map(\.name))
        if names == ["HealthCheckFailed", "SpoolUnhealthy"] { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("alerts firing: \(engine.activeAlerts.map { "\($0.name) \($0.state)" })")
}

@Test func theDocumentShowsTheExampleAsTested() throws {
    let source = try String(contentsOfFile: #filePath, encoding: .utf8)
    let start = try #require(source.range(of: "    // BEGIN EXAMPLE\n"))
    let end = try #require(source.range(of: "    // END EXAMPLE\n"))
    let code = source[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.hasPrefix("    ") ? $0.dropFirst(4) : $0 }.joined(separator: "\n")
    let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/health.md")
    let text = try String(contentsOf: document, encoding: .utf8)
    #expect(text.contains("```swift\nimport FoundationEssentials\nimport Jobkit\nimport JobkitHealth\nimport JobkitMetrics\n\n" + code + "```\n"))
}
