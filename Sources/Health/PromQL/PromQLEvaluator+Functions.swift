extension PromQLEvaluator {
    func call(_ function: PromQLFunction, _ arguments: [PromQLExpression], at time: Int64)
        throws(PromQLEvaluationError) -> Value
    {
        switch function {
        case .rate, .increase, .delta:
            guard case .range(_, let range) = arguments[0],
                case .matrix(let series) = try value(of: arguments[0], at: time)
            else { return .vector([]) }
            let samples = series.compactMap { series -> PromQLSample? in
                Self.extrapolatedRate(
                    series.points, rangeStart: time - range, rangeEnd: time, isCounter: function != .delta,
                    isRate: function == .rate
                ).map { PromQLSample(labels: series.labels.droppingName, value: $0) }
            }
            return .vector(try Self.unique(samples))
        case .histogram_quantile:
            let quantile = try value(of: arguments[0], at: time).scalar
            return .vector(Self.histogramQuantile(quantile, try value(of: arguments[1], at: time).vector))
        case .absent:
            guard try value(of: arguments[0], at: time).vector.isEmpty else { return .vector([]) }
            return .vector([PromQLSample(labels: Self.absentLabels(arguments[0]), value: 1)])
        case .vector:
            return .vector([PromQLSample(labels: [:], value: try value(of: arguments[0], at: time).scalar)])
        case .scalar:
            let samples = try value(of: arguments[0], at: time).vector
            return .scalar(samples.count == 1 ? samples[0].value : .nan)
        case .time:
            return .scalar(Double(time) / 1000)
        }
    }

    /// `rate` / `increase` of a counter, or `delta` of a gauge (`isCounter` false: no resets, no clamp at
    /// zero), of one series, extrapolated to the window's edges as Prometheus 2.x does.
    static func extrapolatedRate(
        _ points: [(time: Int64, value: Double)], rangeStart: Int64, rangeEnd: Int64, isCounter: Bool, isRate: Bool
    ) -> Double? {
        guard points.count >= 2, let first = points.first, let last = points.last else { return nil }
        var result = last.value - first.value
        for (previous, next) in zip(points, points.dropFirst()) where isCounter && next.value < previous.value {
            result += previous.value  // a counter reset: it restarted from zero
        }
        var durationToStart = Double(first.time - rangeStart) / 1000
        let durationToEnd = Double(rangeEnd - last.time) / 1000
        let sampled = Double(last.time - first.time) / 1000
        let averageGap = sampled / Double(points.count - 1)
        if isCounter && result > 0 && first.value >= 0 {
            let durationToZero = sampled * (first.value / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let threshold = averageGap * 1.1
        var extrapolated = sampled
        extrapolated += durationToStart < threshold ? durationToStart : averageGap / 2
        extrapolated += durationToEnd < threshold ? durationToEnd : averageGap / 2
        var factor = extrapolated / sampled
        if isRate { factor /= Double(rangeEnd - rangeStart) / 1000 }
        return result * factor
    }

    /// `histogram_quantile` over classic `_bucket` series, grouped by every label but `le`.
    static func histogramQuantile(_ quantile: Double, _ samples: [PromQLSample]) -> [PromQLSample] {
        var groups: [Labels: [(bound: Double, count: Double)]] = [:]
        for sample in samples {
            guard let text = sample.labels["le"], let bound = parseBound(text) else { continue }
            var key = sample.labels
            key["le"] = nil
            groups[key, default: []].append((bound, sample.value))
        }
        return groups.map { key, buckets in
            var labels = key.droppingName
            labels["le"] = nil
            return PromQLSample(labels: labels, value: bucketQuantile(quantile, buckets))
        }
    }

    private static func parseBound(_ text: String) -> Double? {
        switch text.lowercased() {
        case "+inf", "inf": .infinity
        case "-inf": -.infinity
        default: Double(text)
        }
    }

    static func bucketQuantile(_ quantile: Double, _ unsorted: [(bound: Double, count: Double)]) -> Double {
        if quantile.isNaN { return .nan }
        if quantile < 0 { return -.infinity }
        if quantile > 1 { return .infinity }
        var buckets: [(bound: Double, count: Double)] = []
        for bucket in unsorted.sorted(by: { $0.bound < $1.bound }) {
            if let last = buckets.last, last.bound == bucket.bound {
                buckets[buckets.count - 1].count += bucket.count
            } else {
                buckets.append(bucket)
            }
        }
        guard let last = buckets.last, last.bound == .infinity else { return .nan }
        var highest = -Double.infinity
        for index in buckets.indices {
            highest = max(highest, buckets[index].count)
            buckets[index].count = highest
        }
        guard buckets.count >= 2 else { return .nan }
        let total = buckets[buckets.count - 1].count
        guard total > 0 else { return .nan }
        let rank = quantile * total
        let index = buckets.dropLast().firstIndex { $0.count >= rank } ?? buckets.count - 1
        if index == buckets.count - 1 { return buckets[buckets.count - 2].bound }
        if index == 0 && buckets[0].bound <= 0 { return buckets[0].bound }
        let lower = index == 0 ? 0 : buckets[index - 1].bound
        let below = index == 0 ? 0 : buckets[index - 1].count
        return lower + (buckets[index].bound - lower) * (rank - below) / (buckets[index].count - below)
    }

    /// The labels `absent` gives: each label the selector pins with a single `=` matcher.
    static func absentLabels(_ argument: PromQLExpression) -> Labels {
        guard case .vector(let selector) = argument else { return [:] }
        var labels: Labels = [:]
        var seen: Set<String> = []
        for matcher in selector.matchers where matcher.name != "__name__" {
            if matcher.kind == .equal && !seen.contains(matcher.name) {
                labels[matcher.name] = matcher.value.isEmpty ? nil : matcher.value
            } else {
                labels[matcher.name] = nil
            }
            seen.insert(matcher.name)
        }
        return labels
    }

    /// `samples`, or an error if two have the same labels.
    static func unique(_ samples: [PromQLSample]) throws(PromQLEvaluationError) -> [PromQLSample] {
        var seen: Set<Labels> = []
        for sample in samples where !seen.insert(sample.labels).inserted {
            throw PromQLEvaluationError(
                description: "vector cannot contain metrics with the same labelset \(sample.labels.promQLDescription)")
        }
        return samples
    }
}
