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
/// cache line, the counts are striped: each thread writes to one of ``stripes`` cache-line-aligned copies,
/// chosen from its thread id, and reads add the copies up.
public final class Histogram: @unchecked Sendable {
    // @unchecked: `storage` is allocated once in init, never reallocated, and only touched through atomics.

    /// Upper bounds of the finite buckets.
    public let bounds: [Double]
    /// Number of striped copies of the counts.
    public let stripes: Int
    /// Seconds since the Unix epoch when the series was created (OpenMetrics `_created`).
    public let created: Double
    let renderedLabels: [UInt8]
    let labelValues: [String]

    /// Bucket counts (finite buckets, then +Inf), then the sum as `Double` bits; padded to whole cache lines.
    private let slotsPerStripe: Int
    private let stripeShift: UInt64
    private let storage: UnsafeMutablePointer<Atomic<UInt64>>

    /// Bytes in a cache line on the machines we run on (x86-64 and arm64).
    static let cacheLineBytes = 64
    /// Above this many bounds the bucket is found by binary search (client_golang's threshold).
    static let linearSearchLimit = 35

    init(bounds: [Double], stripes: Int, labelValues: [String], renderedLabels: [UInt8], created: Double) {
        precondition(stripes > 0 && stripes & (stripes - 1) == 0, "stripes must be a power of two")
        self.bounds = bounds
        self.stripes = stripes
        self.created = created
        self.labelValues = labelValues
        self.renderedLabels = renderedLabels
        let slotsPerLine = Self.cacheLineBytes / MemoryLayout<UInt64>.stride
        let slots = bounds.count + 2
        self.slotsPerStripe = (slots + slotsPerLine - 1) / slotsPerLine * slotsPerLine
        self.stripeShift = UInt64(64 - stripes.trailingZeroBitCount)
        let count = slotsPerStripe * stripes
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: count * MemoryLayout<Atomic<UInt64>>.stride, alignment: Self.cacheLineBytes)
        storage = raw.bindMemory(to: Atomic<UInt64>.self, capacity: count)
        for index in 0..<count { (storage + index).initialize(to: Atomic(0)) }
        for stripe in 0..<stripes {
            storage[stripe * slotsPerStripe + bounds.count + 1].store(0.0.bitPattern, ordering: .relaxed)
        }
    }

    deinit {
        storage.deinitialize(count: slotsPerStripe * stripes)
        UnsafeMutableRawPointer(storage).deallocate()
    }

    /// Records one observation.
    public func observe(_ value: Double) {
        let base = currentStripe() &* slotsPerStripe
        storage[base &+ bucketIndex(for: value)].wrappingAdd(1, ordering: .relaxed)
        let sum = storage + (base &+ bounds.count &+ 1)
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
        for stripe in 0..<stripes {
            let base = stripe * slotsPerStripe
            for bucket in 0...bounds.count {
                counts[bucket] &+= storage[base + bucket].load(ordering: .relaxed)
            }
            sum += Double(bitPattern: storage[base + bounds.count + 1].load(ordering: .relaxed))
        }
        for bucket in 1..<counts.count { counts[bucket] &+= counts[bucket - 1] }
        return (counts, sum)
    }

    @inline(__always)
    private func bucketIndex(for value: Double) -> Int {
        if bounds.count <= Self.linearSearchLimit {
            var index = 0
            while index < bounds.count && value > bounds[index] { index &+= 1 }
            return index
        }
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low &+ high) / 2
            if value > bounds[middle] { low = middle &+ 1 } else { high = middle }
        }
        return low
    }

    @inline(__always)
    private func currentStripe() -> Int {
        guard stripes > 1 else { return 0 }
        // Fibonacci hashing of the thread id spreads threads over stripes; ids are page-aligned addresses.
        let id = UInt64(UInt(bitPattern: Int(bitPattern: pthread_self())))
        return Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> stripeShift)
    }

    /// Default stripes: the next power of two at or above twice the online processors, at most 64.
    public static let defaultStripes: Int = {
        let processors = max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
        let maximumStripes = 64
        var stripes = 1
        while stripes < processors * 2 && stripes < maximumStripes { stripes *= 2 }
        return stripes
    }()
}
