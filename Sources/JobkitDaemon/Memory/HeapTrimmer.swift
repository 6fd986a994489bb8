import CJobkitDaemonSupport
import Synchronization

/// Gives freed heap memory back to the system once enough of it has piled up.
///
/// glibc's malloc keeps what is freed for reuse and returns only the top of an arena by itself, so after
/// a burst (tens of thousands of queued tasks, then freed) a daemon's RSS stays at its peak for good.
/// Called periodically, ``trimIfWorthIt(now:)`` asks malloc how much its arenas hold free and, past
/// ``threshold``, has it release every free page (`malloc_trim`); it looks at most once per ``interval``.
/// Free bytes stay counted as free after a trim, hence the interval: under steady load a trim every
/// interval costs a walk of the free lists and the page faults of reusing what it gave back.
///
/// ```swift
/// let trimmer = HeapTrimmer()
/// trimmer.trimIfWorthIt()  // from a periodic task
/// ```
public final class HeapTrimmer: Sendable {
    /// Free heap bytes past which a trim is worth its cost (8 MiB): below it, what a trim could give back
    /// is small beside a daemon's footprint.
    public static let defaultThreshold = 8 << 20
    /// Shortest time between two looks at the heap, so between two trims (10 s).
    public static let defaultInterval: Duration = .seconds(10)

    /// Free heap bytes past which ``trimIfWorthIt(now:)`` trims; 0 never trims.
    public let threshold: Int
    /// Shortest time between two looks at the heap.
    public let interval: Duration
    /// When malloc's free bytes were last looked at.
    private let lastCheck = Mutex<ContinuousClock.Instant?>(nil)

    public init(threshold: Int = defaultThreshold, interval: Duration = defaultInterval) {
        self.threshold = threshold
        self.interval = interval
    }

    /// Arenas a daemon's malloc uses unless configured otherwise (1). glibc starts one per thread that
    /// finds the others busy, up to 8 per core; the long-lived records a daemon keeps then pin pages in
    /// each, and a trim gives little back (a burst of 20,000 submits from 4 clients, then idle: 31.7 MiB
    /// anonymous with glibc's default, 18.6 MiB with one arena, after a trim). Threads still allocate
    /// small blocks from caches of their own (tcache) without taking the arena's lock.
    public static let defaultArenas = 1

    /// Limits malloc to `count` arenas; call before the threads that allocate start.
    ///
    /// - Returns: whether malloc accepted the limit.
    @discardableResult
    public static func limitArenas(to count: Int) -> Bool {
        jds_heap_limit_arenas(Int32(clamping: count)) == 1
    }

    /// Bytes malloc holds free in its arenas.
    public static var freeBytes: Int { Int(jds_heap_free_bytes()) }

    /// Trims the heap when more than ``threshold`` bytes of it are free; does nothing within ``interval``
    /// of the previous call that looked.
    ///
    /// - Returns: the free bytes there were, when it trimmed; `nil` when it did not.
    @discardableResult
    public func trimIfWorthIt(now: ContinuousClock.Instant = .now) -> Int? {
        guard threshold > 0 else { return nil }
        return lastCheck.withLock { last -> Int? in
            // Reading malloc's totals walks its free lists under the arena's lock: not every round either.
            if let last, last.duration(to: now) < interval { return nil }
            last = now
            let free = Self.freeBytes
            guard free > threshold else { return nil }
            jds_heap_trim()
            return free
        }
    }
}
