public import Synchronization

/// A value that goes up and down. Lock-free.
public final class Gauge: Sendable {
    @usableFromInline let bits = Atomic<UInt64>(0.0.bitPattern)
    init() {}

    /// Sets the value.
    @inlinable
    public func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds `delta` (negative to subtract).
    @inlinable
    public func add(_ delta: Double) {
        var current = bits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + delta).bitPattern
            let (exchanged, original) = bits.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Adds 1.
    @inlinable
    public func increment() { add(1) }

    /// Subtracts 1.
    @inlinable
    public func decrement() { add(-1) }

    /// The current value.
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

extension Gauge: SeriesReader {
    func seriesValue() -> SeriesValue { .gauge(value) }
    var createdTime: Double? { nil }
}
