/// Evaluates expressions as instant queries with Prometheus 2.x semantics: closed range windows,
/// a 5-minute lookback, staleness markers, extrapolated `rate`, subqueries aligned to their step.
public struct PromQLEvaluator: Sendable {
    public let source: any SeriesSource
    /// How old the newest sample may be for an instant selector to still see it.
    public var lookbackMilliseconds: Int64
    /// The step of subqueries that give none (`x[10m:]`): the rule group's interval.
    public var defaultStepMilliseconds: Int64
    /// The most samples one evaluation may load (selected samples and subquery points); past it the
    /// evaluation fails, so one rule cannot take the daemon's memory or time.
    public var maximumSamples: Int

    /// Prometheus' default lookback delta: 5 minutes.
    public static let defaultLookbackMilliseconds: Int64 = 300_000
    /// Prometheus' default evaluation interval: 1 minute.
    public static let defaultStep: Int64 = 60_000
    /// Prometheus' default `--query.max-samples`: 50 million.
    public static let defaultMaximumSamples = 50_000_000

    public init(
        source: any SeriesSource, lookbackMilliseconds: Int64 = defaultLookbackMilliseconds,
        defaultStepMilliseconds: Int64 = defaultStep, maximumSamples: Int = defaultMaximumSamples
    ) {
        self.source = source
        self.lookbackMilliseconds = lookbackMilliseconds
        self.defaultStepMilliseconds = defaultStepMilliseconds
        self.maximumSamples = maximumSamples
    }

    /// What a rule or a template's `query` whose expression is a range vector or a string fails with.
    public static let notAVectorOrScalar = "rule result is not a vector or scalar"

    /// The value of `expression` at `time` (milliseconds since the Unix epoch).
    public func evaluate(_ expression: PromQLExpression, at time: Int64) throws(PromQLEvaluationError) -> PromQLValue {
        let context = Context(queryTime: time, time: time, budget: SampleBudget(maximumSamples))
        switch try value(of: expression, context) {
        case .scalar(let value): return .scalar(value)
        case .vector(let elements):
            return .vector(elements.map { PromQLSample(labels: $0.labels.dictionary, value: $0.value) })
        case .matrix, .string: throw PromQLEvaluationError(Self.notAVectorOrScalar)
        }
    }

    /// When an evaluation happens: the query's time (`start()`, `end()`) and the time of this step.
    struct Context {
        var queryTime: Int64
        var time: Int64
        let budget: SampleBudget

        func at(_ time: Int64) -> Context { Context(queryTime: queryTime, time: time, budget: budget) }

        /// The time a selector or subquery with these modifiers reads at.
        func effectiveTime(at modifier: AtModifier?, offset: Int64) -> Int64 {
            let base: Int64 =
                switch modifier {
                case .time(let fixed): fixed
                case .start, .end: queryTime
                case nil: time
                }
            return base - offset
        }
    }

    func value(of expression: PromQLExpression, _ context: Context) throws(PromQLEvaluationError) -> EvaluatedValue {
        switch expression {
        case .number(let number): return .scalar(number)
        case .string(let text): return .string(text)
        case .selector(let selector):
            let elements = instant(selector, context)
            try context.budget.spend(elements.count)
            return .vector(elements)
        case .matrix(let selector, let range):
            let end = context.effectiveTime(at: selector.at, offset: selector.offset)
            let matrix = self.range(selector, from: end - range, to: end)
            try context.budget.spend(matrix.series.reduce(0) { $0 + $1.points.count })
            return .matrix(matrix)
        case .subquery(let subquery): return .matrix(try self.subquery(subquery, context))
        case .parenthesized(let inner): return try value(of: inner, context)
        case .negate(let inner):
            switch try value(of: inner, context) {
            case .scalar(let number): return .scalar(-number)
            case .vector(let elements):
                return .vector(
                    try Self.unique(
                        elements.map { VectorElement(labels: $0.labels.droppingName, value: -$0.value, time: context.time) }))
            default: throw PromQLEvaluationError("unary minus needs a scalar or an instant vector")
            }
        case .call(let function, let arguments): return try call(function, arguments, context)
        case .aggregate(let aggregation): return .vector(try aggregate(aggregation, context))
        case .binary(let binary): return try self.binary(binary, context)
        }
    }

    /// `elements`, refused when two share a label set (a function or operator dropped what told them apart).
    static func unique(_ elements: [VectorElement]) throws(PromQLEvaluationError) -> [VectorElement] {
        var seen = Set<LabelSet>(minimumCapacity: elements.count)
        for element in elements where !seen.insert(element.labels).inserted {
            throw PromQLEvaluationError("vector cannot contain metrics with the same labelset")
        }
        return elements
    }

    // MARK: - Selectors

    /// The newest sample of each matching series within the lookback, unless it is a staleness marker.
    func instant(_ selector: VectorSelector, _ context: Context) -> [VectorElement] {
        let end = context.effectiveTime(at: selector.at, offset: selector.offset)
        var elements: [VectorElement] = []
        source.forEachSeries(matching: selector.matchers, from: end - lookbackMilliseconds, to: end, latestOnly: true) {
            guard let last = $0.points.last(where: { $0.time <= end }), last.time >= end - lookbackMilliseconds,
                !last.isStale
            else { return }
            elements.append(VectorElement(labels: $0.labels, value: last.value, time: last.time))
        }
        return elements
    }

    func range(_ selector: VectorSelector, from start: Int64, to end: Int64) -> RangeValue {
        var series: [SeriesSamples] = []
        forEachRange(selector, from: start, to: end) { series.append($0) }
        return RangeValue(series: series, start: start, end: end)
    }

    /// Each matching series with its samples in the window, staleness markers left out, one at a time.
    func forEachRange(_ selector: VectorSelector, from start: Int64, to end: Int64, _ body: (SeriesSamples) -> Void) {
        source.forEachSeries(matching: selector.matchers, from: start, to: end, latestOnly: false) { series in
            // Copied again only when there is something to drop.
            let clean = series.points.allSatisfy { $0.isRead(from: start, to: end) }
            let points = clean ? series.points : series.points.filter { $0.isRead(from: start, to: end) }
            if !points.isEmpty { body(SeriesSamples(labels: series.labels, points: points)) }
        }
    }

    /// The inner expression at every multiple of the step inside the window, as a range query would.
    private func subquery(_ subquery: Subquery, _ context: Context) throws(PromQLEvaluationError) -> RangeValue {
        let end = context.effectiveTime(at: subquery.at, offset: subquery.offset)
        let step = subquery.step ?? defaultStepMilliseconds
        let start = end - subquery.range
        // The first multiple of the step at or after the window's start (Go's truncating division).
        var time = step * (start / step)
        if time < start { time += step }
        // Each step counts, so a tiny step over a long range fails at once rather than runs for hours.
        try context.budget.spend(Int(max(0, end - time) / step) + 1)
        var order: [LabelSet] = []
        var series: [LabelSet: [SamplePoint]] = [:]
        while time <= end {
            let elements: [VectorElement]
            switch try value(of: subquery.expression, context.at(time)) {
            case .vector(let vector): elements = vector
            case .scalar(let value): elements = [VectorElement(labels: .empty, value: value, time: time)]
            default: throw PromQLEvaluationError("subquery is only allowed on instant vectors")
            }
            for element in elements {
                if series[element.labels] == nil { order.append(element.labels) }
                series[element.labels, default: []].append(SamplePoint(time: time, value: element.value))
            }
            time += step
        }
        return RangeValue(
            series: order.sorted().map { SeriesSamples(labels: $0, points: series[$0]!) }, start: start, end: end)
    }
}

/// What is left of an evaluation's sample allowance.
final class SampleBudget {
    private var remaining: Int

    init(_ limit: Int) { remaining = limit }

    func spend(_ count: Int) throws(PromQLEvaluationError) {
        remaining -= count
        if remaining < 0 {
            throw PromQLEvaluationError("query processing would load too many samples into memory in query execution")
        }
    }
}
