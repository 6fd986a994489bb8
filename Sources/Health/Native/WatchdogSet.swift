public import FoundationEssentials
public import Jobkit
import Synchronization

/// Named deadlines that live things keep pushing forward with ``pet(_:)``: a loop each time round, a task
/// each time it reports progress, a job each time it succeeds. One not petted within its timeout is
/// overdue, and is an alert of ``alertRule`` (``defaultAlertName`` unless the set is given another).
///
/// ```swift
/// let loops = WatchdogSet(clock: .continuous)
/// loops.add("scheduler", timeout: .seconds(10), labels: ["severity": "critical"])
/// // in the loop, each time round:
/// loops.pet("scheduler")
/// ```
public final class WatchdogSet: AlertSource {
    /// One watchdog's settings and when it was last petted.
    public struct Watchdog: Sendable, Hashable {
        public var name: String
        public var timeout: Duration
        /// Labels its alert carries besides `watchdog` (such as `job`, `task`, `severity`).
        public var labels: Labels
        public var lastPet: JobInstant
    }

    public static let defaultAlertName = "WatchdogExpired"
    public static let defaultSummary = "watchdog {{ $labels.watchdog }} missed its deadline by {{ $value | humanizeDuration }}"

    public let alertRule: Rule
    private let clock: JobClock
    private let watchdogs = Mutex<[String: Watchdog]>([:])

    /// - Parameters:
    ///   - alertName: the `alertname` of overdue watchdogs.
    ///   - summary: the `summary` annotation's template; `$value` is the seconds past the deadline.
    /// - Throws: when `summary` is outside the supported template subset.
    public init(clock: JobClock, alertName: String = defaultAlertName, summary: String = defaultSummary) throws {
        self.clock = clock
        alertRule = try Rule.native(
            alertName: alertName, summary: summary, description: "a watchdog not petted within its timeout")
    }

    /// Adds (or replaces) a watchdog, last petted `lastPetAgo` before now.
    public func add(_ name: String, timeout: Duration, labels: Labels = [:], lastPetAgo: Duration = .zero) {
        let watchdog = Watchdog(
            name: name, timeout: timeout, labels: labels, lastPet: clock.now().advanced(by: .zero - lastPetAgo))
        watchdogs.withLock { $0[name] = watchdog }
    }

    /// Changes a watchdog's timeout and labels, keeping when it was last petted; adds it if it is new.
    public func update(_ name: String, timeout: Duration, labels: Labels = [:]) {
        let now = clock.now()
        watchdogs.withLock { watchdogs in
            let lastPet = watchdogs[name]?.lastPet ?? now
            watchdogs[name] = Watchdog(name: name, timeout: timeout, labels: labels, lastPet: lastPet)
        }
    }

    /// Removes a watchdog (a task that finished, a job no longer configured).
    public func remove(_ name: String) { watchdogs.withLock { _ = $0.removeValue(forKey: name) } }

    /// Removes every watchdog `keep` returns false for.
    public func removeAll(where remove: (Watchdog) -> Bool) {
        watchdogs.withLock { $0 = $0.filter { !remove($0.value) } }
    }

    /// Pushes `name`'s deadline to a full timeout from now.
    public func pet(_ name: String) {
        let now = clock.now()
        watchdogs.withLock { $0[name]?.lastPet = now }
    }

    /// The watchdogs there are, by name.
    public var all: [Watchdog] { watchdogs.withLock { Array($0.values) }.sorted { $0.name < $1.name } }

    /// When `watchdog` was last petted, on the wall clock.
    public func lastPetTime(of watchdog: Watchdog) -> Date {
        let ago = watchdog.lastPet.duration(to: clock.now())
        return clock.wallTime().addingTimeInterval(-ago.seconds)
    }

    /// Watchdogs past their deadline, with how long past it.
    public func overdue() -> [(watchdog: Watchdog, late: Duration)] {
        let now = clock.now()
        return all.compactMap { watchdog in
            let late = watchdog.lastPet.duration(to: now) - watchdog.timeout
            return late > .zero ? (watchdog, late) : nil
        }
    }

    /// One sample per overdue watchdog, labelled with its name, valued in seconds past the deadline.
    public func alertSamples() -> [AlertSample] {
        overdue().map { entry in
            var labels = entry.watchdog.labels
            labels["watchdog"] = entry.watchdog.name
            return AlertSample(labels: labels, value: entry.late.seconds)
        }
    }
}
