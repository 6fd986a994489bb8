public import FoundationEssentials
public import Jobkit
import Synchronization

/// Health checks run on their intervals, with their latest results. A check answering warning or
/// critical is an alert of ``alertRule`` (`HealthCheckFailed`, labelled `check` and `severity`, with the
/// check's message as the `message` annotation).
///
/// ```swift
/// let checks = try HealthChecks(clock: .continuous)
/// checks.register(HealthCheck("disk", interval: .seconds(30)) {
///     freeBytes() > 1 << 30 ? .ok() : .warning("less than 1 GiB free")
/// })
/// Task { await checks.run() }
/// ```
public final class HealthChecks: AlertSource {
    /// A check's latest result; `result` is `nil` until it has run once.
    public struct Report: Sendable, Hashable {
        public var name: String
        public var labels: Labels
        public var result: HealthCheckResult?
        /// When the latest run ended, on the wall clock.
        public var checkedAt: Date?
    }

    private struct Entry {
        var check: HealthCheck
        var report: Report
        var due: JobInstant
        var running = false
    }

    public static let defaultAlertName = "HealthCheckFailed"
    /// How often ``run()`` looks for checks that are due (1 s): the precision of check intervals.
    public static let defaultResolution: Duration = .seconds(1)

    public let alertRule: Rule
    private let clock: JobClock
    private let resolution: Duration
    private let entries = Mutex<[String: Entry]>([:])

    /// - Throws: never with the built-in summary template (the signature allows a custom one later).
    public init(clock: JobClock, resolution: Duration = defaultResolution) throws {
        self.clock = clock
        self.resolution = resolution
        alertRule = try Rule.native(
            alertName: Self.defaultAlertName, summary: "health check {{ $labels.check }} is {{ $labels.severity }}",
            description: "a health check answering warning or critical")
    }

    /// Adds (or replaces) a check, due at once.
    public func register(_ check: HealthCheck) {
        let entry = Entry(
            check: check, report: Report(name: check.name, labels: check.labels), due: clock.now())
        entries.withLock { $0[check.name] = entry }
    }

    /// Removes the checks `remove` returns true for.
    public func removeAll(where remove: (HealthCheck) -> Bool) {
        entries.withLock { $0 = $0.filter { !remove($0.value.check) } }
    }

    /// The checks' latest results, by name.
    public var reports: [Report] { entries.withLock { $0.values.map(\.report) }.sorted { $0.name < $1.name } }

    /// Runs each check when it is due (one run of a check at a time) until the calling task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                for check in takeDue() {
                    group.addTask { [self] in
                        let result = await Self.run(check, clock: clock)
                        finish(check.name, result)
                    }
                }
                guard (try? await clock.sleep(for: resolution)) != nil else { break }
            }
            group.cancelAll()
        }
    }

    /// Runs the check called `name` now and records its result; `nil` for an unknown name.
    public func runNow(_ name: String) async -> HealthCheckResult? {
        guard let check = entries.withLock({ $0[name]?.check }) else { return nil }
        let result = await Self.run(check, clock: clock)
        finish(name, result)
        return result
    }

    /// One sample per check whose latest result is not ok.
    public func alertSamples() -> [AlertSample] {
        reports.compactMap { report in
            guard let result = report.result, result.status != .ok else { return nil }
            var labels = report.labels
            labels["check"] = report.name
            labels["severity"] = result.status.rawValue
            return AlertSample(
                labels: labels, value: result.status == .critical ? 2 : 1, annotations: ["message": result.message])
        }
    }

    private func takeDue() -> [HealthCheck] {
        let now = clock.now()
        return entries.withLock { entries in
            var due: [HealthCheck] = []
            for (name, var entry) in entries where !entry.running && entry.due <= now {
                entry.running = true
                entries[name] = entry
                due.append(entry.check)
            }
            return due
        }
    }

    private func finish(_ name: String, _ result: HealthCheckResult) {
        let now = clock.now()
        let wall = clock.wallTime()
        entries.withLock { entries in
            guard var entry = entries[name] else { return }
            entry.running = false
            entry.due = now.advanced(by: entry.check.interval)
            entry.report.result = result
            entry.report.checkedAt = wall
            entries[name] = entry
        }
    }

    /// The check's answer, or critical when it does not answer within its timeout.
    private static func run(_ check: HealthCheck, clock: JobClock) async -> HealthCheckResult {
        await withTaskGroup(of: HealthCheckResult?.self) { group in
            group.addTask { await check.run() }
            group.addTask {
                guard (try? await clock.sleep(for: check.timeout)) != nil else { return nil }
                return .critical("no answer within \(GoFormat.humanizeDuration(check.timeout.seconds))")
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let result = next { return result }
            }
            return .critical("cancelled")
        }
    }
}
