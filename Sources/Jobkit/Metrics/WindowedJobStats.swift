import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Rates, success ratios and duration quantiles per job type over sliding windows (1 m, 5 m, 1 h by
/// default), computed in-process for people: `memoryd status`, `top`, the web page.
///
/// Prometheus computes the same from the exported counters and histograms; this is for readers without
/// a Prometheus. Finished tasks are counted into time slices of ``Configuration/slice``; a window is the
/// slices it covers, so its edges are exact to one slice. Durations go into log-spaced buckets
/// (each ``Configuration/bucketGrowth`` times the one before), so a quantile is exact to within half that
/// growth, and is clamped to the durations actually seen.
///
/// ```swift
/// let clock = JobClock.continuous
/// let stats = try WindowedJobStats(clock: clock)
/// let scheduler = try Scheduler(clock: clock, observers: [stats])
/// // later
/// for job in stats.snapshot() { print(job.jobType, job.windows[0].successRatio ?? .nan) }
/// ```
public final class WindowedJobStats: JobObserver, Sendable {
    /// Windows, slicing and quantile precision, each with a documented default.
    public struct Configuration: Sendable, Hashable {
        /// The windows reported, shortest first (1 m, 5 m, 1 h).
        public var windows: [Duration]
        /// Width of a time slice (5 s): the precision of a window's edge. Memory grows with
        /// longest window ÷ slice for each job type that finishes tasks in every slice.
        public var slice: Duration
        /// Quantiles of task duration reported (p50, p90, p99).
        public var quantiles: [Double]
        /// Upper bound of the first duration bucket, in seconds (1 ms).
        public var smallestDuration: Double
        /// Ratio between consecutive bucket bounds (1.1, so a quantile is within about 5 %).
        public var bucketGrowth: Double
        /// Durations beyond this many seconds share the last bucket (one week).
        public var largestDuration: Double

        public init(
            windows: [Duration] = [.seconds(60), .seconds(300), .seconds(3600)], slice: Duration = .seconds(5),
            quantiles: [Double] = [0.5, 0.9, 0.99], smallestDuration: Double = 0.001, bucketGrowth: Double = 1.1,
            largestDuration: Double = 7 * 86_400
        ) {
            self.windows = windows
            self.slice = slice
            self.quantiles = quantiles
            self.smallestDuration = smallestDuration
            self.bucketGrowth = bucketGrowth
            self.largestDuration = largestDuration
        }

        func validate() throws {
            guard !windows.isEmpty, windows.allSatisfy({ $0 > .zero }) else {
                throw JobError(.invalidConfiguration, "windowed stats need at least one positive window")
            }
            guard slice > .zero, windows.allSatisfy({ $0 >= slice }) else {
                throw JobError(.invalidConfiguration, "the slice must be positive and no longer than any window")
            }
            guard quantiles.allSatisfy({ $0 > 0 && $0 < 1 }) else {
                throw JobError(.invalidConfiguration, "quantiles must lie strictly between 0 and 1")
            }
            guard smallestDuration > 0, bucketGrowth > 1, largestDuration > smallestDuration else {
                throw JobError(
                    .invalidConfiguration, "duration buckets need 0 < smallest < largest and a growth above 1")
            }
        }
    }

    public let configuration: Configuration
    private let clock: JobClock
    private let started: JobInstant
    private let layout: DurationBuckets
    private let sliceCount: Int64
    private let jobs = Mutex<[String: SliceRing]>([:])

    /// - Throws: ``JobError`` (`.invalidConfiguration`) for an empty window list or bad bucket settings.
    public init(clock: JobClock, configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        self.started = clock.now()
        self.layout = DurationBuckets(
            smallest: configuration.smallestDuration, growth: configuration.bucketGrowth,
            largest: configuration.largestDuration)
        let longest = configuration.windows.max()!
        self.sliceCount = Int64((longest / configuration.slice).rounded(.up))
    }

    public var interests: JobActivity.Kinds { .finished }

    public func observe(_ activity: JobActivity) {
        guard case .finished(let task, let outcome, _, let duration, _) = activity else { return }
        let slice = sliceIndex(clock.now())
        let bucket = duration.map { layout.index(of: $0.seconds) }
        let seconds = duration?.seconds
        jobs.withLock { jobs in
            jobs[task.jobType, default: SliceRing()].record(
                outcome: outcome, bucket: bucket, seconds: seconds, slice: slice, keep: sliceCount)
        }
    }

    /// Every job type that finished a task within the longest window, sorted by name.
    public func snapshot() -> [JobWindowStats] {
        let now = clock.now()
        let current = sliceIndex(now)
        let elapsed = started.duration(to: now)
        let rings = jobs.withLock { jobs -> [(String, SliceRing)] in
            for key in jobs.keys { jobs[key]!.prune(before: current - sliceCount + 1) }
            jobs = jobs.filter { !$0.value.isEmpty }
            return jobs.sorted { $0.key < $1.key }
        }
        return rings.map { jobType, ring in
            JobWindowStats(
                jobType: jobType,
                windows: configuration.windows.map { window in
                    let slices = Int64((window / configuration.slice).rounded(.up))
                    let merged = ring.merged(from: current - slices + 1)
                    return merged.stats(
                        window: window, covered: min(window, max(elapsed, configuration.slice)),
                        quantiles: configuration.quantiles, layout: layout)
                })
        }
    }

    private func sliceIndex(_ instant: JobInstant) -> Int64 {
        Int64((instant.sinceOrigin / configuration.slice).rounded(.down))
    }
}

/// One job type's figures over each configured window.
public struct JobWindowStats: Sendable, Hashable, Codable {
    public var jobType: String
    /// In the order of ``WindowedJobStats/Configuration/windows``.
    public var windows: [WindowStats]
}

/// Finished tasks of one job type over one window.
public struct WindowStats: Sendable, Hashable, Codable {
    /// The window's length in seconds.
    public var windowSeconds: Double
    /// Tasks finished, by outcome (`succeeded`, `failed`, `retries_exhausted`, `timed_out`, `cancelled`,
    /// `skipped`); outcomes that did not occur are absent.
    public var outcomes: [String: Int]
    /// Tasks finished per second, over the window or over the time since the stats began if that is shorter.
    public var finishedPerSecond: Double
    /// Succeeded ÷ (succeeded + failed + retries exhausted + timed out); cancelled and skipped tasks are
    /// left out, as they say nothing about the job. `nil` when there is nothing to divide.
    public var successRatio: Double?
    /// Duration quantiles in seconds (`"0.5"`, `"0.9"`, `"0.99"`), absent when no task ran.
    public var durationQuantiles: [String: Double]
}

/// A job type's slices, oldest first, only those with something in them.
private struct SliceRing {
    struct Slice {
        var index: Int64
        var totals = Totals()
    }

    private var slices: [Slice] = []

    var isEmpty: Bool { slices.isEmpty }

    mutating func record(outcome: TaskOutcome, bucket: Int?, seconds: Double?, slice: Int64, keep: Int64) {
        if slices.last?.index != slice {
            prune(before: slice - keep + 1)
            slices.append(Slice(index: slice))
        }
        slices[slices.count - 1].totals.add(outcome: outcome, bucket: bucket, seconds: seconds)
    }

    mutating func prune(before oldest: Int64) {
        if let keepFrom = slices.firstIndex(where: { $0.index >= oldest }) {
            slices.removeFirst(keepFrom)
        } else {
            slices.removeAll()
        }
    }

    func merged(from oldest: Int64) -> Totals {
        var totals = Totals()
        for slice in slices.reversed() {
            guard slice.index >= oldest else { break }
            totals.merge(slice.totals)
        }
        return totals
    }
}

/// Outcome counts and a sparse duration histogram.
private struct Totals {
    var outcomes: [TaskOutcome: Int] = [:]
    /// (bucket index, count), sorted by index.
    var buckets: [(index: Int, count: Int)] = []
    var minimum = Double.infinity
    var maximum = -Double.infinity

    mutating func add(outcome: TaskOutcome, bucket: Int?, seconds: Double?) {
        outcomes[outcome, default: 0] += 1
        guard let bucket, let seconds else { return }
        add(bucket: bucket, count: 1)
        minimum = min(minimum, seconds)
        maximum = max(maximum, seconds)
    }

    mutating func merge(_ other: Totals) {
        for (outcome, count) in other.outcomes { outcomes[outcome, default: 0] += count }
        for entry in other.buckets { add(bucket: entry.index, count: entry.count) }
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
    }

    private mutating func add(bucket: Int, count: Int) {
        var low = 0
        var high = buckets.count
        while low < high {
            let middle = (low + high) / 2
            if buckets[middle].index < bucket { low = middle + 1 } else { high = middle }
        }
        if low < buckets.count, buckets[low].index == bucket {
            buckets[low].count += count
        } else {
            buckets.insert((bucket, count), at: low)
        }
    }

    func stats(window: Duration, covered: Duration, quantiles: [Double], layout: DurationBuckets) -> WindowStats {
        let finished = outcomes.values.reduce(0, +)
        let succeeded = outcomes[.succeeded, default: 0]
        let judged = finished - outcomes[.cancelled, default: 0] - outcomes[.skipped, default: 0]
        var quantileValues: [String: Double] = [:]
        let observed = buckets.reduce(0) { $0 + $1.count }
        if observed > 0 {
            for quantile in quantiles {
                quantileValues[String(quantile)] = estimate(quantile, observed: observed, layout: layout)
            }
        }
        return WindowStats(
            windowSeconds: window.seconds,
            outcomes: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.key.rawValue, $0.value) }),
            finishedPerSecond: Double(finished) / covered.seconds,
            successRatio: judged > 0 ? Double(succeeded) / Double(judged) : nil,
            durationQuantiles: quantileValues)
    }

    /// Interpolates geometrically inside the bucket holding the quantile's rank, clamped to what was seen.
    private func estimate(_ quantile: Double, observed: Int, layout: DurationBuckets) -> Double {
        let rank = quantile * Double(observed)
        var below = 0
        for entry in buckets {
            if Double(below + entry.count) >= rank {
                let (lower, upper) = layout.bounds(of: entry.index)
                let fraction = (rank - Double(below)) / Double(entry.count)
                let value: Double
                if !upper.isFinite {
                    value = maximum
                } else if lower > 0 {
                    value = lower * exp(log(upper / lower) * fraction)
                } else {
                    value = upper * fraction
                }
                return min(max(value, minimum), maximum)
            }
            below += entry.count
        }
        return maximum
    }
}

/// Log-spaced duration buckets: `[0, smallest]`, then each bound `growth` times the previous, up to `largest`.
struct DurationBuckets: Sendable {
    let smallest: Double
    let growth: Double
    let count: Int
    private let logGrowth: Double

    init(smallest: Double, growth: Double, largest: Double) {
        self.smallest = smallest
        self.growth = growth
        self.logGrowth = log(growth)
        self.count = Int((log(largest / smallest) / log(growth)).rounded(.up)) + 2
    }

    func index(of seconds: Double) -> Int {
        guard seconds > smallest else { return 0 }
        let index = Int((log(seconds / smallest) / logGrowth).rounded(.up))
        return min(index, count - 1)
    }

    func bounds(of index: Int) -> (lower: Double, upper: Double) {
        if index == 0 { return (0, smallest) }
        let lower = smallest * exp(logGrowth * Double(index - 1))
        return (lower, index == count - 1 ? .infinity : lower * growth)
    }
}
