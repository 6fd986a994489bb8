#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension PromQLEvaluator {
    /// One group of an aggregation while its elements are added, as Prometheus' `groupedAggregation`.
    private struct Group {
        var labels: LabelSet
        var value: Double
        var mean: Double
        var count: Double = 1
        var elements: [VectorElement]
    }

    func aggregate(_ aggregation: Aggregation, _ context: Context) throws(PromQLEvaluationError) -> [VectorElement] {
        var parameter = EvaluatedValue.scalar(.nan)
        if let expression = aggregation.parameter { parameter = try value(of: expression, context) }
        let input = try value(of: aggregation.expression, context).vector
        let op = aggregation.op
        if op == .countValues {
            let label = parameter.string
            guard LabelSet.isValidName(label) else { throw PromQLEvaluationError("invalid label name \"\(label)\"") }
            return countValues(input, label: label, aggregation.grouping, context.time)
        }
        if (op == .topk || op == .bottomk), !(parameter.scalar >= 1) { return [] }
        // Groups in the order they first appear, found by their labels; each mutated in place.
        let keepsElements = op == .topk || op == .bottomk || op == .quantile
        var groups: [Group] = []
        var index: [LabelSet: Int] = [:]
        index.reserveCapacity(min(input.count, Self.groupIndexCapacityLimit))
        let groupLabels = Self.groupLabels(aggregation.grouping)
        for element in input {
            let key = groupLabels(element.labels)
            guard let found = index[key] else {
                index[key] = groups.count
                groups.append(
                    Group(
                        labels: key, value: op == .stddev || op == .stdvar ? 0 : element.value, mean: element.value,
                        elements: keepsElements ? [element] : []))
                continue
            }
            Self.add(element, to: &groups[found], op)
        }
        if op == .topk || op == .bottomk {
            return groups.flatMap { group in
                Self.selectK(group.elements, k: parameter.scalar, top: op == .topk)
                    .map { VectorElement(labels: $0.labels, value: $0.value, time: context.time) }
            }
        }
        return groups.map { Self.result($0, op, parameter: parameter.scalar, context.time) }
    }

    /// The most groups an aggregation reserves room for before it has seen them: its input size, up to this.
    static let groupIndexCapacityLimit = 4096

    /// What gives an element's group labels: the `by` ones, or all but the `without` ones and the metric name.
    private static func groupLabels(_ grouping: Grouping) -> (LabelSet) -> LabelSet {
        switch grouping {
        case .by(let names): return { $0.keeping(names) }
        case .without(let names):
            let dropped = names + [LabelSet.metricName]
            return { $0.removing(dropped) }
        }
    }

    private static func add(_ element: VectorElement, to group: inout Group, _ op: AggregateOperator) {
        let value = element.value
        switch op {
        case .sum: group.value += value
        case .avg:
            group.count += 1
            // Inf plus a finite value, or the same Inf, keeps the mean; dividing first avoids overflow.
            if group.mean.isInfinite && (value.isInfinite && (group.mean > 0) == (value > 0) || value.isFinite) { break }
            group.mean += value / group.count - group.mean / group.count
        case .count, .group: group.count += 1
        case .max: if group.value < value || group.value.isNaN { group.value = value }
        case .min: if group.value > value || group.value.isNaN { group.value = value }
        case .stddev, .stdvar:
            group.count += 1
            let delta = value - group.mean
            group.mean += delta / group.count
            group.value += delta * (value - group.mean)
        case .topk, .bottomk, .quantile: group.elements.append(element)
        case .countValues: break
        }
    }

    /// A group's one output element (`topk` and `bottomk` keep elements instead).
    private static func result(_ group: Group, _ op: AggregateOperator, parameter: Double, _ time: Int64) -> VectorElement {
        let value: Double
        switch op {
        case .sum, .min, .max: value = group.value
        case .avg: value = group.mean
        case .count: value = group.count
        case .group: value = 1
        case .stdvar: value = group.value / group.count
        case .stddev: value = (group.value / group.count).squareRoot()
        case .quantile: value = quantile(parameter, group.elements.map(\.value))
        case .topk, .bottomk, .countValues: preconditionFailure("\(op) has no single value per group")
        }
        return VectorElement(labels: group.labels, value: value, time: time)
    }

    /// The `k` largest (or smallest) elements, best first, NaN counting as the worst.
    private static func selectK(_ elements: [VectorElement], k: Double, top: Bool) -> [VectorElement] {
        let sorted = elements.enumerated().sorted { a, b in
            let (x, y) = (a.element.value, b.element.value)
            if x.isNaN != y.isNaN { return y.isNaN }
            if x != y && !x.isNaN { return top ? x > y : x < y }
            return a.offset < b.offset
        }
        let count = k >= Double(elements.count) ? elements.count : Int(k)
        return sorted.prefix(count).map(\.element)
    }

    private func countValues(
        _ input: [VectorElement], label: String, _ grouping: Grouping, _ time: Int64
    ) -> [VectorElement] {
        var order: [LabelSet] = []
        var counts: [LabelSet: Double] = [:]
        let groupLabels = Self.groupLabels(grouping)
        for element in input {
            let key = groupLabels(element.labels).setting(label, to: GoFormat.plain(element.value))
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        return order.map { VectorElement(labels: $0, value: counts[$0]!, time: time) }
    }

    /// Prometheus' `quantile`: linear interpolation between the closest ranks.
    static func quantile(_ q: Double, _ values: [Double]) -> Double {
        guard !values.isEmpty, !q.isNaN else { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let sorted = values.sorted { $0.isNaN && !$1.isNaN || $0 < $1 }
        let n = Double(sorted.count)
        let rank = q * (n - 1)
        let lower = max(0, floor(rank))
        let upper = min(n - 1, lower + 1)
        let weight = rank - floor(rank)
        return sorted[Int(lower)] * (1 - weight) + sorted[Int(upper)] * weight
    }
}
