#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The functions over one series' samples in a range, as Prometheus 2.42 computes them.
enum RangeFunctions {
    /// The function's value, or `nil` when the series gives none (too few samples).
    static func evaluate(
        _ function: PromQLFunction, _ points: [SamplePoint], range: RangeValue, scalars: [Double], evaluationTime: Int64
    ) -> Double? {
        guard !points.isEmpty else { return nil }
        if let (counter, perSecond) = extrapolation(function) {
            return extrapolatedRate(points, range, counter: counter, perSecond: perSecond)
        }
        switch function {
        case .irate: return instantRate(points, perSecond: true)
        case .idelta: return instantRate(points, perSecond: false)
        default: break
        }
        let values = points.map(\.value)
        switch function {
        case .changes:
            return Double(zip(values, values.dropFirst()).filter { $0 != $1 && !($0.isNaN && $1.isNaN) }.count)
        case .resets: return Double(zip(values, values.dropFirst()).filter { $1 < $0 }.count)
        case .deriv:
            guard points.count >= 2 else { return nil }
            return linearRegression(points, interceptTime: points[0].time).slope
        case .predict_linear:
            guard points.count >= 2 else { return nil }
            let (slope, intercept) = linearRegression(points, interceptTime: evaluationTime)
            return intercept + slope * scalars[0]
        case .holt_winters:
            guard points.count >= 2 else { return nil }
            return holtWinters(values, smoothing: scalars[0], trend: scalars[1])
        case .avg_over_time: return average(values)
        case .count_over_time: return Double(values.count)
        case .sum_over_time: return kahanSum(values)
        case .min_over_time: return values.dropFirst().reduce(values[0]) { $1 < $0 || $0.isNaN ? $1 : $0 }
        case .max_over_time: return values.dropFirst().reduce(values[0]) { $1 > $0 || $0.isNaN ? $1 : $0 }
        case .last_over_time: return values[values.count - 1]
        case .present_over_time: return 1
        case .quantile_over_time: return PromQLEvaluator.quantile(scalars[0], values)
        case .stddev_over_time: return variance(values).squareRoot()
        case .stdvar_over_time: return variance(values)
        default: return nil
        }
    }

    /// For `rate`, `increase` and `delta`, which extrapolate a change over the window: whether the
    /// function treats the series as a counter and gives a rate per second; `nil` for the others.
    static func extrapolation(_ function: PromQLFunction) -> (counter: Bool, perSecond: Bool)? {
        switch function {
        case .rate: (true, true)
        case .increase: (true, false)
        case .delta: (false, false)
        default: nil
        }
    }

    /// `rate`, `increase` and `delta`: the change over the samples, corrected for counter resets and
    /// extrapolated towards the window's edges (no further than half a sample interval past the
    /// samples, and not below zero for counters).
    static func extrapolatedRate(_ points: [SamplePoint], _ range: RangeValue, counter: Bool, perSecond: Bool) -> Double? {
        RangeSummary(points).flatMap { extrapolatedRate($0, range, counter: counter, perSecond: perSecond) }
    }

    /// The same from a summary of the samples.
    static func extrapolatedRate(_ summary: RangeSummary, _ range: RangeValue, counter: Bool, perSecond: Bool) -> Double? {
        guard summary.count >= 2 else { return nil }
        let (first, last) = (summary.first, summary.last)
        var result = last.value - first.value
        if counter {
            for correction in summary.corrections { result += correction }
        }
        var durationToStart = Double(first.time - range.start) / 1000
        let durationToEnd = Double(range.end - last.time) / 1000
        let sampled = Double(last.time - first.time) / 1000
        let averageInterval = sampled / Double(summary.count - 1)
        if counter && result > 0 && first.value >= 0 {
            durationToStart = min(durationToStart, sampled * (first.value / result))
        }
        let threshold = averageInterval * 1.1
        var extrapolated = sampled
        extrapolated += durationToStart < threshold ? durationToStart : averageInterval / 2
        extrapolated += durationToEnd < threshold ? durationToEnd : averageInterval / 2
        result *= extrapolated / sampled
        return perSecond ? result / range.rangeSeconds : result
    }

    /// `irate` and `idelta`: from the last two samples.
    private static func instantRate(_ points: [SamplePoint], perSecond: Bool) -> Double? {
        guard points.count >= 2 else { return nil }
        let last = points[points.count - 1]
        let previous = points[points.count - 2]
        var result = last.value - previous.value
        if perSecond && last.value < previous.value { result = last.value }
        let interval = last.time - previous.time
        guard interval != 0 else { return nil }
        return perSecond ? result / (Double(interval) / 1000) : result
    }

    /// Least squares over (seconds since `interceptTime`, value).
    static func linearRegression(_ points: [SamplePoint], interceptTime: Int64) -> (slope: Double, intercept: Double) {
        let first = points[0].value
        if points.allSatisfy({ $0.value == first }) {
            return first.isInfinite ? (.nan, .nan) : (0, first)
        }
        var n = 0.0
        var (sumX, sumY, sumXY, sumX2) = (KahanSum(), KahanSum(), KahanSum(), KahanSum())
        for point in points {
            n += 1
            let x = Double(point.time - interceptTime) / 1000
            sumX.add(x)
            sumY.add(point.value)
            sumXY.add(x * point.value)
            sumX2.add(x * x)
        }
        let covariance = sumXY.value - sumX.value * sumY.value / n
        let varianceX = sumX2.value - sumX.value * sumX.value / n
        let slope = covariance / varianceX
        return (slope, sumY.value / n - slope * sumX.value / n)
    }

    private static func holtWinters(_ values: [Double], smoothing: Double, trend: Double) -> Double {
        var (s0, s1) = (0.0, values[0])
        var b = values[1] - values[0]
        for index in 1..<values.count {
            let x = smoothing * values[index]
            if index > 1 { b = trend * (s1 - s0) + (1 - trend) * b }
            let y = (1 - smoothing) * (s1 + b)
            (s0, s1) = (s1, x + y)
        }
        return s1
    }

    /// The mean, kept finite as long as it can be: an infinite mean absorbs finite values and Infs of its sign.
    private static func average(_ values: [Double]) -> Double {
        var mean = KahanSum()
        var count = 0.0
        for value in values {
            count += 1
            if mean.sum.isInfinite && (value.isInfinite && (mean.sum > 0) == (value > 0) || value.isFinite) { continue }
            mean.add(value / count - mean.sum / count)
        }
        return mean.sum.isInfinite ? mean.sum : mean.value
    }

    private static func variance(_ values: [Double]) -> Double {
        var count = 0.0
        var mean = KahanSum()
        var aux = KahanSum()
        for value in values {
            count += 1
            let delta = value - mean.value
            mean.add(delta / count)
            aux.add(delta * (value - mean.value))
        }
        return aux.value / count
    }

    private static func kahanSum(_ values: [Double]) -> Double {
        var sum = KahanSum()
        for value in values { sum.add(value) }
        return sum.sum.isInfinite ? sum.sum : sum.value
    }
}

/// Neumaier's compensated sum, as Prometheus' `kahanSumInc`.
struct KahanSum {
    var sum = 0.0
    var compensation = 0.0

    mutating func add(_ increment: Double) {
        let total = sum + increment
        if Swift.abs(sum) >= Swift.abs(increment) {
            compensation += (sum - total) + increment
        } else {
            compensation += (increment - total) + sum
        }
        sum = total
    }

    var value: Double { sum + compensation }
}
