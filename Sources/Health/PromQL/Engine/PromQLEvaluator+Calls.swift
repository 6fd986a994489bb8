#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension PromQLEvaluator {
    func call(
        _ function: PromQLFunction, _ arguments: [PromQLExpression], _ context: Context
    ) throws(PromQLEvaluationError) -> EvaluatedValue {
        let time = context.time
        switch function {
        case .time: return .scalar(Double(time) / 1000)
        case .pi: return .scalar(Double.pi)
        case .vector:
            return .vector([VectorElement(labels: .empty, value: try value(of: arguments[0], context).scalar, time: time)])
        case .scalar:
            let vector = try value(of: arguments[0], context).vector
            return .scalar(vector.count == 1 ? vector[0].value : .nan)
        case .timestamp:
            // A selector's samples keep the time they were taken; anything else is computed now.
            let argument = arguments[0].unwrapped
            let elements: [VectorElement]
            if case .selector(let selector) = argument {
                elements = instant(selector, context)
            } else {
                elements = try value(of: argument, context).vector.map { VectorElement(labels: $0.labels, value: 0, time: time) }
            }
            return .vector(
                try Self.unique(
                    elements.map { VectorElement(labels: $0.labels.droppingName, value: Double($0.time) / 1000, time: time) }))
        case .absent, .absent_over_time:
            let present =
                function == .absent
                ? !(try value(of: arguments[0], context).vector.isEmpty)
                : !(try value(of: arguments[0], context).matrix.series.isEmpty)
            return .vector(present ? [] : [VectorElement(labels: Self.absentLabels(arguments[0]), value: 1, time: time)])
        case .sort, .sort_desc:
            return .vector(Self.sorted(try value(of: arguments[0], context).vector, descending: function == .sort_desc))
        case .label_replace, .label_join:
            let vector = try value(of: arguments[0], context).vector
            var strings: [String] = []
            for argument in arguments.dropFirst() { strings.append(try value(of: argument, context).string) }
            return .vector(
                try Self.unique(
                    function == .label_replace ? try LabelFunctions.replace(vector, strings) : try LabelFunctions.join(vector, strings)))
        case .histogram_quantile:
            let q = try value(of: arguments[0], context).scalar
            return .vector(try Self.unique(HistogramQuantile.evaluate(q, try value(of: arguments[1], context).vector, time)))
        default: break
        }
        if function.signature.parameters.contains(.matrix) {
            return .vector(try rangeFunction(function, arguments, context))
        }
        return .vector(try Self.unique(try instantFunction(function, arguments, context)))
    }

    /// A function over a range vector: one output per series, the metric name dropped (but by `last_over_time`).
    private func rangeFunction(
        _ function: PromQLFunction, _ arguments: [PromQLExpression], _ context: Context
    ) throws(PromQLEvaluationError) -> [VectorElement] {
        var scalars: [Double] = []
        for argument in arguments where argument.type == .scalar {
            scalars.append(try value(of: argument, context).scalar)
        }
        if function == .holt_winters {
            for factor in scalars where !(factor > 0 && factor < 1) {
                throw PromQLEvaluationError("invalid smoothing or trend factor: expected 0 < factor < 1, got \(factor)")
            }
        }
        var output: [VectorElement] = []
        func apply(_ series: SeriesSamples, _ range: RangeValue) {
            guard
                let value = RangeFunctions.evaluate(
                    function, series.points, range: range, scalars: scalars, evaluationTime: context.time)
            else { return }
            let labels = function == .last_over_time ? series.labels : series.labels.droppingName
            output.append(VectorElement(labels: labels, value: value, time: context.time))
        }
        let matrix = arguments.first { $0.type == .matrix }!.unwrapped
        if case .matrix(let selector, let range) = matrix {
            // Straight from the store, one series at a time: no range vector is ever built.
            let end = context.effectiveTime(at: selector.at, offset: selector.offset)
            let window = RangeValue(series: [], start: end - range, end: end)
            var loaded = 0
            if let (counter, perSecond) = RangeFunctions.extrapolation(function) {
                // These read only the first, last and count of the samples, and the resets: a summary.
                source.forEachSummary(matching: selector.matchers, from: end - range, to: end) { labels, summary in
                    loaded += summary.count
                    guard
                        let value = RangeFunctions.extrapolatedRate(
                            summary, window, counter: counter, perSecond: perSecond)
                    else { return }
                    output.append(VectorElement(labels: labels.droppingName, value: value, time: context.time))
                }
            } else {
                forEachRange(selector, from: end - range, to: end) { series in
                    loaded += series.points.count
                    apply(series, window)
                }
            }
            try context.budget.spend(loaded)
            // The store's series are distinct; dropping a name they all share keeps them so.
            if function == .last_over_time || selector.matchers.contains(where: \.isNameEquality) { return output }
        } else {
            let range = try value(of: matrix, context).matrix
            for series in range.series { apply(series, range) }
        }
        return try Self.unique(output)
    }

    /// A function applied to each element of an instant vector, the metric name dropped.
    private func instantFunction(
        _ function: PromQLFunction, _ arguments: [PromQLExpression], _ context: Context
    ) throws(PromQLEvaluationError) -> [VectorElement] {
        let vector: [VectorElement]
        if arguments.isEmpty {
            vector = [VectorElement(labels: .empty, value: Double(context.time) / 1000, time: context.time)]
        } else {
            vector = try value(of: arguments[0], context).vector
        }
        var scalars: [Double] = []
        for argument in arguments.dropFirst() { scalars.append(try value(of: argument, context).scalar) }
        if function == .clamp && scalars[1] < scalars[0] { return [] }
        return vector.map { element in
            VectorElement(
                labels: element.labels.droppingName,
                value: Self.applyInstant(function, element.value, scalars), time: context.time)
        }
    }

    private static func applyInstant(_ function: PromQLFunction, _ value: Double, _ scalars: [Double]) -> Double {
        switch function {
        case .abs: return Swift.abs(value)
        case .ceil: return ceil(value)
        case .floor: return floor(value)
        case .exp: return exp(value)
        case .sqrt: return value.squareRoot()
        case .ln: return log(value)
        case .log2: return log2(value)
        case .log10: return log10(value)
        case .sgn: return value > 0 ? 1 : value < 0 ? -1 : value
        case .acos: return acos(value)
        case .acosh: return acosh(value)
        case .asin: return asin(value)
        case .asinh: return asinh(value)
        case .atan: return atan(value)
        case .atanh: return atanh(value)
        case .cos: return cos(value)
        case .cosh: return cosh(value)
        case .sin: return sin(value)
        case .sinh: return sinh(value)
        case .tan: return tan(value)
        case .tanh: return tanh(value)
        case .deg: return value * 180 / Double.pi
        case .rad: return value * Double.pi / 180
        case .round:
            let inverse = 1 / (scalars.first ?? 1)
            return floor(value * inverse + 0.5) / inverse
        case .clamp: return goMax(scalars[0], goMin(scalars[1], value))
        case .clamp_max: return goMin(scalars[0], value)
        case .clamp_min: return goMax(scalars[0], value)
        case .days_in_month, .day_of_month, .day_of_week, .day_of_year, .hour, .minute, .month, .year:
            return CalendarFunctions.evaluate(function, seconds: value)
        default: return .nan
        }
    }

    /// Go's `math.Max`/`math.Min`: NaN wins.
    static func goMax(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
    static func goMin(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) }

    /// `sort` and `sort_desc`: by value, NaN last, ties in input order.
    private static func sorted(_ vector: [VectorElement], descending: Bool) -> [VectorElement] {
        vector.enumerated().sorted { a, b in
            let (x, y) = (a.element.value, b.element.value)
            if x.isNaN != y.isNaN { return y.isNaN }
            if x != y && !x.isNaN { return descending ? x > y : x < y }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// What `absent` reports for a selector: its equality matchers (once each), not the metric name.
    private static func absentLabels(_ argument: PromQLExpression) -> LabelSet {
        let selector: VectorSelector
        switch argument.unwrapped {
        case .selector(let value), .matrix(let value, _): selector = value
        default: return .empty
        }
        var labels = LabelSet.empty
        var repeated: Set<String> = []
        for matcher in selector.matchers where matcher.name != LabelSet.metricName {
            if labels[matcher.name] != nil || repeated.contains(matcher.name) {
                repeated.insert(matcher.name)
                labels = labels.removing([matcher.name])
            } else if matcher.kind == .equal {
                labels = labels.setting(matcher.name, to: matcher.value)
            } else {
                repeated.insert(matcher.name)
            }
        }
        return labels
    }
}
