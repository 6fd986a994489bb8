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
}

/// Evaluates expressions as instant queries over snapshots of the registry, with Prometheus 2.x semantics
/// (closed range windows, extrapolated `rate`, staleness when a series leaves the registry).
public struct PromQLEvaluator: Sendable {
    /// Oldest first.
    public let snapshots: [SampleSnapshot]
    /// How old the newest sample may be for an instant selector to still see it (Prometheus: 5 minutes).
    public var lookbackMilliseconds: Int64

    /// Prometheus' default lookback delta.
    public static let defaultLookbackMilliseconds: Int64 = 300_000

    public init(snapshots: [SampleSnapshot], lookbackMilliseconds: Int64 = defaultLookbackMilliseconds) {
        self.snapshots = snapshots
        self.lookbackMilliseconds = lookbackMilliseconds
    }

    /// The value of `expression` at `time` (milliseconds since the Unix epoch).
    public func evaluate(_ expression: PromQLExpression, at time: Int64) throws(PromQLEvaluationError) -> PromQLValue {
        switch try value(of: expression, at: time) {
        case .scalar(let value): .scalar(value)
        case .vector(let samples): .vector(samples)
        case .matrix: throw PromQLEvaluationError(description: "a range vector cannot be the result of a rule")
        }
    }

    /// A series' samples inside a range window.
    struct RangeSeries {
        var labels: Labels
        var points: [(time: Int64, value: Double)]
    }

    enum Value {
        case scalar(Double)
        case vector([PromQLSample])
        case matrix([RangeSeries])

        var vector: [PromQLSample] {
            if case .vector(let samples) = self { return samples }
            return []
        }

        var scalar: Double {
            if case .scalar(let value) = self { return value }
            return .nan
        }
    }

    func value(of expression: PromQLExpression, at time: Int64) throws(PromQLEvaluationError) -> Value {
        switch expression {
        case .number(let number):
            return .scalar(number)
        case .vector(let selector):
            return .vector(instant(selector, at: time))
        case .range(let selector, let range):
            return .matrix(self.range(selector, from: time - range, to: time))
        case .parenthesized(let inner):
            return try value(of: inner, at: time)
        case .negate(let inner):
            switch try value(of: inner, at: time) {
            case .scalar(let number): return .scalar(-number)
            case .vector(let samples):
                return .vector(samples.map { PromQLSample(labels: $0.labels.droppingName, value: -$0.value) })
            case .matrix: throw PromQLEvaluationError(description: "cannot negate a range vector")
            }
        case .call(let function, let arguments):
            return try call(function, arguments, at: time)
        case .aggregate(let op, let inner, let grouping):
            return .vector(Self.aggregate(op, try value(of: inner, at: time).vector, grouping: grouping))
        case .binary(let op, let left, let right, let modifiers):
            return try binary(op, try value(of: left, at: time), try value(of: right, at: time), modifiers)
        }
    }

    // MARK: - Selectors

    private func instant(_ selector: VectorSelector, at time: Int64) -> [PromQLSample] {
        // A series missing from the newest snapshot has gone stale, as a series missing from a scrape does.
        guard let newest = snapshots.last(where: { $0.time <= time }), newest.time >= time - lookbackMilliseconds
        else { return [] }
        return newest.samples.compactMap { labels, value in
            selector.matches(labels) ? PromQLSample(labels: labels, value: value) : nil
        }
    }

    private func range(_ selector: VectorSelector, from start: Int64, to end: Int64) -> [RangeSeries] {
        var series: [Labels: [(time: Int64, value: Double)]] = [:]
        for snapshot in snapshots where snapshot.time >= start && snapshot.time <= end {
            for (labels, value) in snapshot.samples where selector.matches(labels) {
                series[labels, default: []].append((snapshot.time, value))
            }
        }
        return series.map { RangeSeries(labels: $0.key, points: $0.value) }
    }
}
