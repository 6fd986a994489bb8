import FoundationEssentials
import Jobkit
import JobkitHealth
import JobkitMetrics
import JobkitTesting
import Synchronization
import Testing

/// Health checks on a manual clock: run when due, one at a time each, critical when they do not answer
/// in time, and a `HealthCheckFailed` alert while they answer warning or critical.
struct HealthChecksTests {
    let manual = ManualClock()
    var clock: JobClock { JobClock(manual, wallClockOrigin: Date(timeIntervalSince1970: 1_000_000)) }

    /// A check whose answers the test sets, counting its runs.
    final class Scripted: Sendable {
        let answer = Mutex(HealthCheckResult.ok())
        let runs = Mutex(0)

        func check(_ name: String, interval: Duration) -> HealthCheck {
            HealthCheck(name, labels: ["job": name], interval: interval) { [self] in
                runs.withLock { $0 += 1 }
                return answer.withLock { $0 }
            }
        }
    }

    @Test func checksRunWhenDueAndKeepTheirLatestAnswer() async throws {
        let checks = try HealthChecks(clock: clock, resolution: .seconds(1))
        let disk = Scripted()
        checks.register(disk.check("disk", interval: .seconds(30)))
        #expect(checks.reports.map(\.result) == [nil])
        let loop = Task { await checks.run() }
        defer { loop.cancel() }
        try await poll { checks.reports.first?.result == .ok() }
        #expect(checks.reports.first?.checkedAt == Date(timeIntervalSince1970: 1_000_000))

        disk.answer.withLock { $0 = .warning("90% full") }
        // Not due again for 30 s: 29 ticks later it has still run once.
        for _ in 0..<29 {
            await manual.waitForSleepers(1)
            manual.advance(by: .seconds(1))
        }
        await manual.waitForSleepers(1)
        #expect(disk.runs.withLock { $0 } == 1)
        manual.advance(by: .seconds(1))
        try await poll { checks.reports.first?.result == .warning("90% full") }
        #expect(disk.runs.withLock { $0 } == 2)
    }

    @Test func aCheckThatDoesNotAnswerInTimeIsCritical() async throws {
        let checks = try HealthChecks(clock: clock)
        checks.register(
            HealthCheck("hung", timeout: .seconds(10)) {
                // Answers only when cancelled at the timeout.
                while !Task.isCancelled { await Task.yield() }
                return .ok("too late")
            })
        let run = Task { await checks.runNow("hung") }
        await manual.waitForSleepers(1)
        manual.advance(by: .seconds(10))
        #expect(await run.value == .critical("no answer within 10s"))
        #expect(await checks.runNow("unknown") == nil)
    }

    @Test func warningAndCriticalAnswersAreAlertsWithTheMessage() async throws {
        let checks = try HealthChecks(clock: clock)
        let disk = Scripted()
        checks.register(disk.check("disk", interval: .seconds(30)))
        let engine = RuleEngine(groups: [], defaultIntervalMilliseconds: 1000)

        _ = await checks.runNow("disk")
        #expect(checks.alertSamples().isEmpty)
        disk.answer.withLock { $0 = .critical("read-only file system") }
        _ = await checks.runNow("disk")
        let fired = engine.evaluate(checks, group: "memoryd", at: 1000)
        #expect(fired.transitions.map(\.to) == [Alert.State.pending, .firing])
        let alert = try #require(engine.activeAlerts.first)
        #expect(alert.labels == ["alertname": "HealthCheckFailed", "check": "disk", "job": "disk", "severity": "critical"])
        #expect(alert.annotations == ["summary": "health check disk is critical", "message": "read-only file system"])
        #expect(alert.value == 2)

        disk.answer.withLock { $0 = .ok() }
        _ = await checks.runNow("disk")
        #expect(engine.evaluate(checks, group: "memoryd", at: 2000).transitions.map(\.to) == [Alert.State.inactive])
    }

    @Test func answersAreAStateSetMetric() async throws {
        let checks = try HealthChecks(clock: clock)
        let disk = Scripted()
        disk.answer.withLock { $0 = .warning("almost full") }
        checks.register(disk.check("disk", interval: .seconds(30)))
        let registry = MetricsRegistry()
        registry.register(collector: HealthMetricsCollector(watchdogs: [], checks: checks))
        #expect(!String(decoding: PrometheusText.render(registry.collect()), as: UTF8.self).contains("check=\"disk\""))
        _ = await checks.runNow("disk")
        let text = String(decoding: PrometheusText.render(registry.collect()), as: UTF8.self)
        #expect(text.contains("jobkit_health_check_status{check=\"disk\",status=\"ok\"} 0\n"))
        #expect(text.contains("jobkit_health_check_status{check=\"disk\",status=\"warning\"} 1\n"))
        #expect(text.contains("jobkit_health_check_status{check=\"disk\",status=\"critical\"} 0\n"))
    }

    @Test func statusesOrderFromOkToCritical() {
        #expect(HealthStatus.ok < .warning && HealthStatus.warning < .critical)
        #expect([HealthStatus.warning, .critical, .ok].max() == .critical)
    }
}

/// Waits until `condition` holds, yielding to the tasks under test; fails after `attempts` tries.
func poll(attempts: Int = 10_000, _ condition: () -> Bool) async throws {
    for _ in 0..<attempts {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("condition not met after \(attempts) tries")
    throw CancellationError()
}
