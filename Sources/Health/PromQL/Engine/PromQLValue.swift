/// The result of an instant query: a scalar or a vector of samples.
public enum PromQLValue: Sendable, Equatable {
    case scalar(Double)
    case vector([PromQLSample])

    /// The samples, a scalar being one sample without labels (as a rule sees it).
    public var samples: [PromQLSample] {
        switch self {
        case .scalar(let value): [PromQLSample(labels: [:], value: value)]
        case .vector(let samples): samples
        }
    }
}

/// One element of an instant vector.
public struct PromQLSample: Sendable, Hashable {
    public var labels: Labels
    public var value: Double

    public init(labels: Labels, value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// An expression that parsed but cannot be evaluated over the data, as Prometheus would also refuse it.
public struct PromQLEvaluationError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

/// One sample of a series: milliseconds since the Unix epoch and a value.
public struct SamplePoint: Sendable, Hashable {
    public var time: Int64
    public var value: Double

    public init(time: Int64, value: Double) {
        self.time = time
        self.value = value
    }

    /// Prometheus' staleness marker: the NaN that says a series ended.
    public static let staleValue = Double(bitPattern: 0x7ff0_0000_0000_0002)

    public var isStale: Bool { value.bitPattern == Self.staleValue.bitPattern }

    /// Whether a function over the window from `start` to `end` (inclusive) reads the sample: inside
    /// it and not a staleness marker.
    func isRead(from start: Int64, to end: Int64) -> Bool { time >= start && time <= end && !isStale }
}

/// A series' labels and its samples in a time window, oldest first.
public struct SeriesSamples: Sendable {
    public var labels: LabelSet
    public var points: [SamplePoint]

    public init(labels: LabelSet, points: [SamplePoint]) {
        self.labels = labels
        self.points = points
    }
}

/// Where the evaluator reads samples.
public protocol SeriesSource: Sendable {
    /// Every series that `matches` accepts with its samples (staleness markers included) from `start`
    /// to `end` inclusive, sorted by labels; series without samples there may be left out.
    func series(matching matchers: [LabelMatcher], from start: Int64, to end: Int64) -> [SeriesSamples]

    /// The same series, in the same order, one at a time to `body`, so a function over a range needs
    /// one series' samples in memory at once. With `latestOnly`, each carries only its newest sample there.
    func forEachSeries(
        matching matchers: [LabelMatcher], from start: Int64, to end: Int64, latestOnly: Bool,
        _ body: (SeriesSamples) -> Void)

    /// The same series, in the same order, each as the summary of its samples from `start` to `end`
    /// without staleness markers: what `rate`, `increase` and `delta` read.
    func forEachSummary(
        matching matchers: [LabelMatcher], from start: Int64, to end: Int64, _ body: (LabelSet, RangeSummary) -> Void)
}

extension SeriesSource {
    public func forEachSeries(
        matching matchers: [LabelMatcher], from start: Int64, to end: Int64, latestOnly: Bool,
        _ body: (SeriesSamples) -> Void
    ) {
        for var series in series(matching: matchers, from: start, to: end) {
            if latestOnly, let last = series.points.last { series.points = [last] }
            body(series)
        }
    }

    public func forEachSummary(
        matching matchers: [LabelMatcher], from start: Int64, to end: Int64, _ body: (LabelSet, RangeSummary) -> Void
    ) {
        forEachSeries(matching: matchers, from: start, to: end, latestOnly: false) { series in
            let points = series.points.lazy.filter { $0.isRead(from: start, to: end) }
            if let summary = RangeSummary(points) { body(series.labels, summary) }
        }
    }
}

/// An instant vector while it is evaluated.
struct VectorElement {
    var labels: LabelSet
    var value: Double
    /// When the sample was taken, for `timestamp()`; the evaluation time for computed samples.
    var time: Int64
}

/// A value while it is evaluated.
enum EvaluatedValue {
    case scalar(Double)
    case string(String)
    case vector([VectorElement])
    case matrix(RangeValue)

    var vector: [VectorElement] {
        if case .vector(let elements) = self { return elements }
        return []
    }

    var scalar: Double {
        if case .scalar(let value) = self { return value }
        return .nan
    }

    var string: String {
        if case .string(let text) = self { return text }
        return ""
    }

    var matrix: RangeValue {
        if case .matrix(let range) = self { return range }
        return RangeValue(series: [], start: 0, end: 0)
    }
}

/// A range vector and the window it was read over (what `rate` extrapolates to).
struct RangeValue {
    var series: [SeriesSamples]
    /// Milliseconds, both inclusive.
    var start: Int64
    var end: Int64

    var rangeSeconds: Double { Double(end - start) / 1000 }
}
