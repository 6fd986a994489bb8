import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A distribution of observed values in buckets. Lock-free and allocation-free per observation.
///
/// An observation increments exactly one bucket and adds to the sum; cumulative counts are built
/// when the histogram is read. To keep threads that observe the same histogram from fighting over one
/// cache line, the counts are striped into cache-line-aligned copies that reads add up. Each observing
/// thread holds a slot number (see `StripeSlots`); the thread with slot N < ``stripes`` is the only writer of
/// copy N and updates it without locked instructions, while threads with higher slots share one more copy
/// and update it atomically.
public final class Histogram: @unchecked Sendable {
    // @unchecked: `storage` is allocated once in init, never reallocated, and only touched through atomics.

    /// The bucket layout.
    public let buckets: Buckets
    /// Upper bounds of the finite buckets.
    public var bounds: [Double] { buckets.bounds }
    /// Copies of the counts owned by one thread each (one more is shared by any further threads).
    public let stripes: Int
    /// Seconds since the Unix epoch when the series was created (OpenMetrics `_created`).
    public let created: Double

    /// Bucket counts (finite buckets, then +Inf), then the sum as `Double` bits; padded to whole cache lines.
    private let slotsPerStripe: Int
    /// A copy of `bounds` outside reference counting, so an observation touches no shared refcount.
    private let boundsStorage: UnsafeMutablePointer<Double>
    private let boundsCount: Int
    /// The bounds in vectors of ``Self/lanes``, padded with `+Inf`, for a branch-free bucket search.
    private let boundVectors: UnsafeMutablePointer<SIMD8<Double>>
    private let vectorCount: Int

    /// Bounds compared at once in the vector search.
    static let lanes = SIMD8<Double>.scalarCount
    /// Up to this many bounds the bucket is found by comparing against every bound in vectors (no branch to
    /// mispredict); above it, by binary search.
    static let vectorSearchLimit = 32
    private let storage: UnsafeMutablePointer<Atomic<UInt64>>

    /// Bytes in a cache line on the machines we run on (x86-64 and arm64).
    static let cacheLineBytes = 64

    init(buckets: Buckets, stripes: Int, created: Double) {
        precondition(stripes >= 0, "stripes cannot be negative")
        let bounds = buckets.bounds
        self.buckets = buckets
        self.boundsCount = bounds.count
        self.boundsStorage = .allocate(capacity: max(bounds.count, 1))
        self.boundsStorage.initialize(from: bounds, count: bounds.count)
        self.vectorCount = (bounds.count + Self.lanes - 1) / Self.lanes
        self.boundVectors = .allocate(capacity: max(vectorCount, 1))
        for vector in 0..<vectorCount {
            var lanes = SIMD8<Double>(repeating: .infinity)
            for lane in 0..<Self.lanes where vector * Self.lanes + lane < bounds.count {
                lanes[lane] = bounds[vector * Self.lanes + lane]
            }
            (boundVectors + vector).initialize(to: lanes)
        }
        self.stripes = stripes
        self.created = created
        let slotsPerLine = Self.cacheLineBytes / MemoryLayout<UInt64>.stride
        let slots = bounds.count + 2
        self.slotsPerStripe = (slots + slotsPerLine - 1) / slotsPerLine * slotsPerLine
        let count = slotsPerStripe * (stripes + 1)
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: count * MemoryLayout<Atomic<UInt64>>.stride, alignment: Self.cacheLineBytes)
        storage = raw.bindMemory(to: Atomic<UInt64>.self, capacity: count)
        for index in 0..<count { (storage + index).initialize(to: Atomic(0)) }
        for stripe in 0...stripes {
            storage[stripe * slotsPerStripe + bounds.count + 1].store(0.0.bitPattern, ordering: .relaxed)
        }
    }

    deinit {
        storage.deinitialize(count: slotsPerStripe * (stripes + 1))
        UnsafeMutableRawPointer(storage).deallocate()
        boundsStorage.deallocate()
        boundVectors.deallocate()
    }

    /// Records one observation.
    public func observe(_ value: Double) {
        let slot = StripeSlots.current()
        let bucket = bucketIndex(for: value)
        if slot < stripes {
            // The thread holding a slot is its stripe's only writer: plain loads and stores, no locked
            // instruction. A reader may see the sum trail the count by an instant.
            let base = slot &* slotsPerStripe
            let count = storage + (base &+ bucket)
            count.pointee.store(count.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            let sum = storage + (base &+ boundsCount &+ 1)
            sum.pointee.store(
                (Double(bitPattern: sum.pointee.load(ordering: .relaxed)) + value).bitPattern, ordering: .relaxed)
            return
        }
        // Threads beyond the owned stripes share the last one, atomically.
        let base = stripes &* slotsPerStripe
        storage[base &+ bucket].wrappingAdd(1, ordering: .relaxed)
        let sum = storage + (base &+ boundsCount &+ 1)
        var current = sum.pointee.load(ordering: .relaxed)
        while true {
            // Relaxed: the sum is read on its own; exposition tolerates it trailing the counts by an instant.
            let next = (Double(bitPattern: current) + value).bitPattern
            let (exchanged, original) = sum.pointee.compareExchange(
                expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Records a duration in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) * 1e-18)
    }

    /// Counts per bucket, cumulative, ending with the `+Inf` bucket (which equals the total count), and the sum.
    public func read() -> (cumulativeCounts: [UInt64], sum: Double) {
        var counts = [UInt64](repeating: 0, count: bounds.count + 1)
        var sum = 0.0
        for stripe in 0...stripes {
            let base = stripe * slotsPerStripe
            for bucket in 0...bounds.count {
                counts[bucket] &+= storage[base + bucket].load(ordering: .relaxed)
            }
            sum += Double(bitPattern: storage[base + bounds.count + 1].load(ordering: .relaxed))
        }
        for bucket in 1..<counts.count { counts[bucket] &+= counts[bucket - 1] }
        return (counts, sum)
    }

    /// The first bucket whose bound is ≥ `value` (the `+Inf` bucket when none is, NaN included, as in
    /// client_golang): the number of bounds that are not ≥ `value`. Observed values land in unpredictable
    /// buckets, and a mispredicted branch per observation would cost more than the search itself, so up to
    /// ``vectorSearchLimit`` bounds every bound is compared, in vectors.
    @inline(__always)
    private func bucketIndex(for value: Double) -> Int {
        if boundsCount <= Self.vectorSearchLimit {
            let probe = SIMD8<Double>(repeating: value)
            var below = SIMD8<Int64>()
            for vector in 0..<vectorCount {
                below &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: .!(boundVectors[vector] .>= probe))
            }
            // The +Inf padding of the last vector is not ≥ NaN either.
            return min(Int(below.wrappedSum()), boundsCount)
        }
        var low = 0
        var high = boundsCount
        while low < high {
            let middle = (low &+ high) / 2
            if !(value <= boundsStorage[middle]) { low = middle &+ 1 } else { high = middle }
        }
        return low
    }

    /// Default owned stripes: twice the online processors, at least 8 (a daemon's workers and its own
    /// threads), at most 64. Each stripe costs a cache line per 8 buckets.
    public static let defaultStripes: Int = {
        let processors = max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
        let (minimumStripes, maximumStripes) = (8, 64)
        return min(max(processors * 2, minimumStripes), maximumStripes)
    }()
}

extension Histogram: SeriesReader {
    func seriesValue() -> SeriesValue {
        let (counts, sum) = read()
        return .histogram(buckets: buckets, cumulativeCounts: counts, sum: sum)
    }
    var createdTime: Double? { created }
}
