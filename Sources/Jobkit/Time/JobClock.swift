public import FoundationEssentials

/// A point on the scheduler's monotonic time line, measured from the moment its ``JobClock`` was made.
public struct JobInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Time elapsed since the clock's origin.
    public var sinceOrigin: Duration

    public init(sinceOrigin: Duration) {
        self.sinceOrigin = sinceOrigin
    }

    public func advanced(by duration: Duration) -> JobInstant {
        JobInstant(sinceOrigin: sinceOrigin + duration)
    }

    public func duration(to other: JobInstant) -> Duration {
        other.sinceOrigin - sinceOrigin
    }

    public static func < (lhs: JobInstant, rhs: JobInstant) -> Bool {
        lhs.sinceOrigin < rhs.sinceOrigin
    }

    public var description: String { "+\(sinceOrigin)" }
}

/// The time source of a scheduler: a monotonic clock for deadlines and durations, and a wall clock for timestamps.
///
/// Everything time-based in Jobkit (backoff, timeouts, queue and pool waits, durations, event timestamps)
/// reads this clock, so tests drive it by hand instead of sleeping.
///
/// ```swift
/// let clock = ManualClock()                                   // from JobkitTesting
/// let jobClock = JobClock(clock, wallClockOrigin: Date(timeIntervalSince1970: 1_700_000_000))
/// let scheduler = try Scheduler(SchedulerConfiguration(workers: 2), clock: jobClock)
/// ```
public struct JobClock: Sendable {
    private let nowSinceOrigin: @Sendable () -> Duration
    private let sleepUntil: @Sendable (Duration) async throws -> Void
    private let wallNow: @Sendable () -> Date

    /// Wraps any clock measured in `Duration`; timestamps come from the system's real-time clock.
    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        self.init(clock, wallClock: { Date() })
    }

    /// Wraps `clock` and derives timestamps from it: `wallClockOrigin` plus the time elapsed on `clock`.
    ///
    /// Use this with a manual clock so timestamps are reproducible.
    public init<C: Clock>(_ clock: C, wallClockOrigin: Date) where C.Duration == Duration {
        let origin = clock.now
        self.init(
            clock,
            wallClock: {
                let elapsed = origin.duration(to: clock.now)
                return wallClockOrigin.addingTimeInterval(elapsed.seconds)
            })
    }

    /// Wraps `clock` for deadlines and durations and `wallClock` for timestamps.
    public init<C: Clock>(_ clock: C, wallClock: @escaping @Sendable () -> Date) where C.Duration == Duration {
        let origin = clock.now
        self.nowSinceOrigin = { origin.duration(to: clock.now) }
        self.sleepUntil = { offset in
            try await clock.sleep(until: origin.advanced(by: offset), tolerance: nil)
        }
        self.wallNow = wallClock
    }

    /// The system's monotonic clock (`ContinuousClock`) and real-time wall clock.
    public static var continuous: JobClock { JobClock(ContinuousClock()) }

    /// The current monotonic instant.
    public func now() -> JobInstant { JobInstant(sinceOrigin: nowSinceOrigin()) }

    /// The current wall-clock time, for timestamps.
    public func wallTime() -> Date { wallNow() }

    /// Suspends until `deadline`.
    ///
    /// - Throws: `CancellationError` if the calling task is cancelled first.
    public func sleep(until deadline: JobInstant) async throws {
        try await sleepUntil(deadline.sinceOrigin)
    }

    /// Suspends for `duration`.
    ///
    /// - Throws: `CancellationError` if the calling task is cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now().advanced(by: duration))
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The duration in whole milliseconds, rounded toward zero.
    public var milliseconds: Int64 {
        let (whole, attoseconds) = components
        return whole * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
