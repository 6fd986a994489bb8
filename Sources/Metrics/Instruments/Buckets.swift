/// Upper bounds of histogram buckets; `+Inf` is always added at exposition.
public struct Buckets: Sendable, Hashable {
    /// Finite, strictly increasing upper bounds.
    public let bounds: [Double]
    /// Each bound as exposition writes it in `le` (canonical form), then `+Inf`; rendered once, here.
    package let renderedBounds: [[UInt8]]
    /// Length of the longest of ``renderedBounds``.
    let longestRenderedBound: Int

    /// - Throws: ``MetricsError`` (`.invalidBuckets`) unless `bounds` is non-empty, finite and strictly increasing.
    public init(_ bounds: [Double]) throws {
        let finite = bounds.last == .infinity ? Array(bounds.dropLast()) : bounds
        guard !finite.isEmpty else {
            throw MetricsError(.invalidBuckets, metric: "", "a histogram needs at least one finite bucket bound")
        }
        guard finite.allSatisfy(\.isFinite) else {
            throw MetricsError(.invalidBuckets, metric: "", "bucket bounds must be finite (+Inf is implied): \(bounds)")
        }
        guard zip(finite, finite.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw MetricsError(.invalidBuckets, metric: "", "bucket bounds must increase strictly: \(bounds)")
        }
        self.init(unchecked: finite)
    }

    private init(unchecked bounds: [Double]) {
        self.bounds = bounds
        self.renderedBounds = (bounds + [.infinity]).map { bound in
            var bytes: [UInt8] = []
            NumberFormatting.appendBound(bound, to: &bytes)
            return bytes
        }
        self.longestRenderedBound = renderedBounds.map(\.count).max() ?? 0
    }

    /// client_golang's defaults, in seconds: 5 ms to 10 s.
    public static let prometheusDefault = Buckets(unchecked: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])

    /// For jobs that take seconds to hours: 100 ms to 4 h.
    public static let longJobs = Buckets(unchecked: [
        0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400,
    ])

    /// For waits in queues and pools: 1 ms to 1 h.
    public static let waits = Buckets(unchecked: [
        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600,
    ])

    /// `count` bounds starting at `start`, each `factor` times the previous.
    ///
    /// - Throws: ``MetricsError`` (`.invalidBuckets`) for a non-positive start, a factor ≤ 1 or a count < 1.
    public static func exponential(start: Double, factor: Double, count: Int) throws -> Buckets {
        guard start > 0, factor > 1, count >= 1 else {
            throw MetricsError(
                .invalidBuckets, metric: "", "exponential buckets need start > 0, factor > 1, count ≥ 1")
        }
        var bounds: [Double] = []
        var bound = start
        for _ in 0..<count {
            bounds.append(bound)
            bound *= factor
        }
        return try Buckets(bounds)
    }
}
