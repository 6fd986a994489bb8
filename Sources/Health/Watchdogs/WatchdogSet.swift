public import Jobkit
import Synchronization

/// Named deadlines that live things keep pushing forward with ``pet(_:)``: a loop each time round, a task
/// each time it reports progress, a job each time it succeeds. One not petted within its timeout is
/// overdue, which raises the `WatchdogExpired` alert and holds back systemd's `WATCHDOG=1`.
public final class WatchdogSet: Sendable {
    /// One watchdog's settings and when it was last petted.
    public struct Watchdog: Sendable, Hashable {
        public var name: String
        public var timeout: Duration
        /// Labels its alert carries besides `watchdog` (such as `job`, `task`, `severity`).
        public var labels: Labels
        public var lastPet: JobInstant
    }

    private let clock: JobClock
    private let watchdogs = Mutex<[String: Watchdog]>([:])

    public init(clock: JobClock) { self.clock = clock }

    /// Adds (or replaces) a watchdog, petted now.
    public func add(_ name: String, timeout: Duration, labels: Labels = [:]) {
        let watchdog = Watchdog(name: name, timeout: timeout, labels: labels, lastPet: clock.now())
        watchdogs.withLock { $0[name] = watchdog }
    }

    /// Removes a watchdog (a task that finished, a job no longer configured).
    public func remove(_ name: String) { watchdogs.withLock { _ = $0.removeValue(forKey: name) } }

    /// Pushes `name`'s deadline to a full timeout from now.
    public func pet(_ name: String) {
        let now = clock.now()
        watchdogs.withLock { $0[name]?.lastPet = now }
    }

    /// The names of the watchdogs there are.
    public var names: [String] { watchdogs.withLock { Array($0.keys) } }

    /// Watchdogs past their deadline, with how long past it.
    public func overdue() -> [(watchdog: Watchdog, late: Duration)] {
        let now = clock.now()
        return watchdogs.withLock { watchdogs in
            watchdogs.values.compactMap { watchdog in
                let late = watchdog.lastPet.duration(to: now) - watchdog.timeout
                return late > .zero ? (watchdog, late) : nil
            }
        }.sorted { $0.watchdog.name < $1.watchdog.name }
    }

    /// As alert samples: one per overdue watchdog, labelled with its name, valued in seconds late.
    public func overdueSamples() -> [PromQLSample] {
        overdue().map { entry in
            var labels = entry.watchdog.labels
            labels["watchdog"] = entry.watchdog.name
            let late = entry.late.components
            return PromQLSample(labels: labels, value: Double(late.seconds) + Double(late.attoseconds) / 1e18)
        }
    }

    /// The rule watchdog alerts follow: `WatchdogExpired`, firing as soon as a watchdog is overdue.
    public static let alertRule: Rule = {
        var rule = Rule(
            kind: .alert("WatchdogExpired"), expression: .number(0), expressionText: "watchdog",
            position: SourcePosition(line: 0, column: 0))
        // The templates are fixed and valid.
        rule.annotations = [
            (
                "summary",
                try! AlertTemplate("watchdog {{ $labels.watchdog }} missed its deadline by {{ $value | humanizeDuration }}")
            )
        ]
        return rule
    }()
}
