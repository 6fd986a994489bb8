import FoundationEssentials
import Jobkit
import JobkitHealth
import JobkitMetrics
import JobkitTesting
import Testing

/// Watchdogs on a manual clock: overdue after their timeout unless petted, and then an alert.
struct WatchdogTests {
    let manual = ManualClock()
    var clock: JobClock { JobClock(manual, wallClockOrigin: Date(timeIntervalSince1970: 1_000_000)) }

    @Test func aWatchdogIsOverdueOnlyAfterItsTimeoutWithoutAPet() throws {
        let watchdogs = try WatchdogSet(clock: clock)
        watchdogs.add("scheduler", timeout: .seconds(10), labels: ["severity": "critical"])
        manual.advance(by: .seconds(9))
        #expect(watchdogs.overdue().isEmpty)
        watchdogs.pet("scheduler")
        manual.advance(by: .seconds(9))
        #expect(watchdogs.overdue().isEmpty)
        manual.advance(by: .seconds(3))
        #expect(
            watchdogs.alertSamples() == [AlertSample(labels: ["watchdog": "scheduler", "severity": "critical"], value: 2)])
        watchdogs.remove("scheduler")
        #expect(watchdogs.overdue().isEmpty)
    }

    @Test func anOverdueWatchdogFiresAndResolvesWhenPetted() throws {
        let watchdogs = try WatchdogSet(clock: clock)
        watchdogs.add("daily-pipeline", timeout: .seconds(60), labels: ["job": "decay"])
        let engine = RuleEngine(groups: [], defaultIntervalMilliseconds: 1000)
        manual.advance(by: .seconds(90))
        let fired = engine.evaluate(watchdogs, group: "memoryd", at: 90_000)
        #expect(fired.transitions.map(\.to) == [Alert.State.pending, .firing])
        let alert = try #require(engine.activeAlerts.first)
        #expect(alert.labels == ["alertname": "WatchdogExpired", "watchdog": "daily-pipeline", "job": "decay"])
        #expect(alert.annotations["summary"] == "watchdog daily-pipeline missed its deadline by 30s")
        #expect(engine.alertsToSend(native: "WatchdogExpired", at: 90_000, resendDelayMilliseconds: 60_000).count == 1)
        watchdogs.pet("daily-pipeline")
        let resolved = engine.evaluate(watchdogs, group: "memoryd", at: 91_000)
        #expect(resolved.transitions.map(\.to) == [Alert.State.inactive])
        #expect(engine.activeAlerts.isEmpty)
    }

    @Test func aWatchdogCanStartFromAPetInThePastAndKeepsItWhenUpdated() throws {
        let watchdogs = try WatchdogSet(clock: clock)
        // Last success 50 s before this start, 60 s allowed: overdue 10 s from now, not 60.
        watchdogs.add("fresh", timeout: .seconds(60), labels: ["job": "digest"], lastPetAgo: .seconds(50))
        let watchdog = try #require(watchdogs.all.first)
        #expect(watchdogs.lastPetTime(of: watchdog) == Date(timeIntervalSince1970: 1_000_000 - 50))
        manual.advance(by: .seconds(11))
        #expect(watchdogs.overdue().map(\.late) == [.seconds(1)])
        // A longer max_age on reload applies to the same last pet.
        watchdogs.update("fresh", timeout: .seconds(120), labels: ["job": "digest"])
        #expect(watchdogs.overdue().isEmpty)
        manual.advance(by: .seconds(60))
        #expect(watchdogs.overdue().map(\.late) == [.seconds(1)])
    }

    @Test func aSetWithItsOwnAlertNameNamesItsAlerts() throws {
        let tasks = try WatchdogSet(
            clock: clock, alertName: "TaskStuck", summary: "{{ $labels.task }} silent for {{ $value }}s too long")
        tasks.add("task t7", timeout: .seconds(5), labels: ["task": "t7"])
        manual.advance(by: .seconds(7))
        let engine = RuleEngine(groups: [], defaultIntervalMilliseconds: 1000)
        _ = engine.evaluate(tasks, group: "memoryd", at: 7000)
        let alert = try #require(engine.activeAlerts.first)
        #expect(alert.name == "TaskStuck")
        #expect(alert.annotations["summary"] == "t7 silent for 2s too long")
    }

    @Test func namedWatchdogsAreMetrics() throws {
        let watchdogs = try WatchdogSet(clock: clock)
        watchdogs.add("scheduler", timeout: .seconds(10))
        manual.advance(by: .seconds(4))
        let registry = MetricsRegistry()
        registry.register(collector: HealthMetricsCollector(watchdogs: [watchdogs], checks: nil))
        let text = String(decoding: PrometheusText.render(registry.collect()), as: UTF8.self)
        #expect(text.contains("jobkit_watchdog_last_pet_timestamp_seconds{watchdog=\"scheduler\"} 1000000\n"))
        #expect(text.contains("jobkit_watchdog_timeout_seconds{watchdog=\"scheduler\"} 10\n"))
    }
}
