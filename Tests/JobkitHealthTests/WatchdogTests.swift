import Jobkit
import JobkitHealth
import JobkitTesting
import Testing

/// Watchdogs on a manual clock: overdue after their timeout unless petted, and then a `WatchdogExpired` alert.
struct WatchdogTests {
    let manual = ManualClock()
    var clock: JobClock { JobClock(manual) }

    @Test func aWatchdogIsOverdueOnlyAfterItsTimeoutWithoutAPet() {
        let watchdogs = WatchdogSet(clock: clock)
        watchdogs.add("scheduler", timeout: .seconds(10), labels: ["severity": "critical"])
        manual.advance(by: .seconds(9))
        #expect(watchdogs.overdue().isEmpty)
        watchdogs.pet("scheduler")
        manual.advance(by: .seconds(9))
        #expect(watchdogs.overdue().isEmpty)
        manual.advance(by: .seconds(3))
        #expect(watchdogs.overdueSamples() == [PromQLSample(labels: ["watchdog": "scheduler", "severity": "critical"], value: 2)])
        watchdogs.remove("scheduler")
        #expect(watchdogs.overdue().isEmpty)
    }

    @Test func anOverdueWatchdogFiresAndResolvesWhenPetted() {
        let watchdogs = WatchdogSet(clock: clock)
        watchdogs.add("daily-pipeline", timeout: .seconds(60), labels: ["job": "decay"])
        let engine = RuleEngine(groups: [], defaultIntervalMilliseconds: 1000)
        let rule = WatchdogSet.alertRule
        manual.advance(by: .seconds(90))
        let fired = engine.evaluate(native: rule, samples: watchdogs.overdueSamples(), group: "watchdogs", at: 90_000)
        #expect(fired.transitions.map(\.to) == [.pending, .firing])
        let alert = engine.activeAlerts[0]
        #expect(alert.labels == ["alertname": "WatchdogExpired", "watchdog": "daily-pipeline", "job": "decay"])
        #expect(alert.annotations["summary"] == "watchdog daily-pipeline missed its deadline by 30s")
        #expect(engine.alertsToSend(native: rule.name, at: 90_000, resendDelayMilliseconds: 60_000).count == 1)
        watchdogs.pet("daily-pipeline")
        let resolved = engine.evaluate(native: rule, samples: watchdogs.overdueSamples(), group: "watchdogs", at: 91_000)
        #expect(resolved.transitions.map(\.to) == [.inactive])
        #expect(engine.activeAlerts.isEmpty)
    }
}
