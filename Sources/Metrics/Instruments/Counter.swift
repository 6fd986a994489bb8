public import Synchronization

/// A monotonically increasing count. Resolve it once from its family and keep it; increments are lock-free.
public final class Counter: Sendable {
    @usableFromInline let integer = Atomic<UInt64>(0)
    /// Fractional increments, as `Double` bits, kept apart so integer increments stay a single add.
    @usableFromInline let fraction = Atomic<UInt64>(0.0.bitPattern)
    /// Seconds since the Unix epoch when the series was created (OpenMetrics `_created`).
    public let created: Double

    init(created: Double) {
        self.created = created
    }

    /// Adds `delta` (default 1).
    @inlinable
    public func increment(by delta: UInt64 = 1) {
        integer.wrappingAdd(delta, ordering: .relaxed)
    }

    /// Adds a fractional amount; negative, infinite and NaN amounts are ignored (a counter never goes down).
    @inlinable
    public func add(_ delta: Double) {
        guard delta > 0, delta.isFinite else { return }
        var current = fraction.load(ordering: .relaxed)
        while true {
            // Relaxed is enough: the value is independent of any other memory.
            let next = (Double(bitPattern: current) + delta).bitPattern
            let (exchanged, original) = fraction.compareExchange(
                expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Sets the count back to zero, which Prometheus reads as a counter reset (for swift-metrics' `reset()`).
    func reset() {
        integer.store(0, ordering: .relaxed)
        fraction.store(0.0.bitPattern, ordering: .relaxed)
    }

    /// The current value.
    public var value: Double {
        Double(integer.load(ordering: .relaxed)) + Double(bitPattern: fraction.load(ordering: .relaxed))
    }
}

extension Counter: SeriesReader {
    func seriesValue() -> SeriesValue { .counter(value) }
    var createdTime: Double? { created }
}
