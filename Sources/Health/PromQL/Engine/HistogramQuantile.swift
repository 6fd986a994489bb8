/// `histogram_quantile` over classic `_bucket` series, as Prometheus 2.42 computes it.
enum HistogramQuantile {
    private struct Bucket {
        var upperBound: Double
        var count: Double
    }

    /// One output per histogram (series alike but for `le`), in the order they first appear, without
    /// the metric name and `le`. Series without a numeric `le` are ignored.
    static func evaluate(_ q: Double, _ vector: [VectorElement], _ time: Int64) -> [VectorElement] {
        var order: [LabelSet] = []
        var histograms: [LabelSet: (labels: LabelSet, buckets: [Bucket])] = [:]
        for element in vector {
            guard let bound = element.labels["le"].flatMap(parseBound) else { continue }
            let key = element.labels.removing(["le"])
            if histograms[key] == nil {
                order.append(key)
                histograms[key] = (key.droppingName, [])
            }
            histograms[key]!.buckets.append(Bucket(upperBound: bound, count: element.value))
        }
        return order.map { key in
            let histogram = histograms[key]!
            return VectorElement(labels: histogram.labels, value: quantile(q, histogram.buckets), time: time)
        }
    }

    /// Go's `ParseFloat` of a bucket bound: numbers, `+Inf`, `Inf`, `-Inf`, `NaN` in any case.
    private static func parseBound(_ text: String) -> Double? {
        // Most bounds are plain numbers: those need no lowercased copy.
        if let first = text.utf8.first, first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") { return Double(text) }
        return switch text.lowercased() {
        case "+inf", "inf", "+infinity", "infinity": .infinity
        case "-inf", "-infinity": -.infinity
        case "nan": .nan
        default: Double(text)
        }
    }

    private static func quantile(_ q: Double, _ unsorted: [Bucket]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var buckets: [Bucket] = []
        // Sorted by bound, equal bounds merged.
        for bucket in unsorted.sorted(by: { $0.upperBound < $1.upperBound }) {
            if let last = buckets.last, last.upperBound == bucket.upperBound {
                buckets[buckets.count - 1].count += bucket.count
            } else {
                buckets.append(bucket)
            }
        }
        guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
        // Counts that fall (float precision, scrape races) are raised to the highest before them.
        var highest = -Double.infinity
        for index in buckets.indices {
            if buckets[index].count > highest {
                highest = buckets[index].count
            } else if buckets[index].count < highest {
                buckets[index].count = highest
            }
        }
        guard buckets.count >= 2 else { return .nan }
        let observations = buckets[buckets.count - 1].count
        guard observations != 0 else { return .nan }
        var rank = q * observations
        let b = buckets.dropLast().firstIndex { $0.count >= rank } ?? buckets.count - 1
        if b == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
        if b == 0 && buckets[0].upperBound <= 0 { return buckets[0].upperBound }
        var start = 0.0
        var count = buckets[b].count
        if b > 0 {
            start = buckets[b - 1].upperBound
            count -= buckets[b - 1].count
            rank -= buckets[b - 1].count
        }
        return start + (buckets[b].upperBound - start) * (rank / count)
    }
}
