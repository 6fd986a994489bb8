extension PromQLEvaluator {
    /// `sum`, `avg`, `min`, `max` or `count` of `samples`, grouped.
    static func aggregate(_ op: AggregateOperator, _ samples: [PromQLSample], grouping: Grouping) -> [PromQLSample] {
        var order: [Labels] = []
        var groups: [Labels: (value: Double, count: Double)] = [:]
        for sample in samples {
            let key: Labels =
                switch grouping {
                case .by(let names): sample.labels.filter { names.contains($0.key) }
                case .without(let names): sample.labels.filter { !names.contains($0.key) && $0.key != "__name__" }
                }
            guard let group = groups[key] else {
                order.append(key)
                groups[key] = (op == .count ? 1 : sample.value, 1)
                continue
            }
            let count = group.count + 1
            let value: Double =
                switch op {
                case .sum: group.value + sample.value
                case .count: count
                // An incremental mean, as Prometheus 2.x computes it.
                case .avg: group.value + sample.value / count - group.value / count
                case .min: group.value.isNaN || sample.value < group.value ? sample.value : group.value
                case .max: group.value.isNaN || sample.value > group.value ? sample.value : group.value
                }
            groups[key] = (value, count)
        }
        return order.map { PromQLSample(labels: $0, value: groups[$0]!.value) }
    }

    func binary(_ op: BinaryOperator, _ left: Value, _ right: Value, _ modifiers: BinaryModifiers)
        throws(PromQLEvaluationError) -> Value
    {
        switch (left, right) {
        case (.scalar(let a), .scalar(let b)):
            return .scalar(op.apply(a, b))
        case (.vector(let samples), .scalar(let b)):
            return .vector(samples.compactMap { Self.combine(op, $0, $0.value, b, modifiers.returnBool) })
        case (.scalar(let a), .vector(let samples)):
            return .vector(samples.compactMap { Self.combine(op, $0, a, $0.value, modifiers.returnBool) })
        case (.vector(let lefts), .vector(let rights)):
            return .vector(try Self.matchVectors(op, lefts, rights, modifiers))
        default:
            throw PromQLEvaluationError(
                description: "binary expression must contain only scalar and instant vector types")
        }
    }

    /// One element of a vector-scalar operation: a comparison without `bool` filters and keeps the
    /// element's value; anything else computes and drops the metric name.
    private static func combine(
        _ op: BinaryOperator, _ sample: PromQLSample, _ a: Double, _ b: Double, _ returnBool: Bool
    ) -> PromQLSample? {
        let result = op.apply(a, b)
        if op.isComparison && !returnBool { return result == 1 ? sample : nil }
        return PromQLSample(labels: sample.labels.droppingName, value: result)
    }

    private static func signature(_ labels: Labels, _ matching: BinaryModifiers.Matching) -> Labels {
        switch matching {
        case .all: labels.droppingName
        case .on(let names): labels.filter { names.contains($0.key) }
        case .ignoring(let names): labels.filter { !names.contains($0.key) && $0.key != "__name__" }
        }
    }

    private static func matchVectors(
        _ op: BinaryOperator, _ lefts: [PromQLSample], _ rights: [PromQLSample], _ modifiers: BinaryModifiers
    ) throws(PromQLEvaluationError) -> [PromQLSample] {
        var rightBySignature: [Labels: PromQLSample] = [:]
        for sample in rights {
            let key = signature(sample.labels, modifiers.matching)
            guard rightBySignature[key] == nil else {
                throw PromQLEvaluationError(
                    description:
                        "found duplicate series for the match group \(key.promQLDescription) on the right hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side"
                )
            }
            rightBySignature[key] = sample
        }
        var matched: Set<Labels> = []
        var results: [PromQLSample] = []
        for sample in lefts {
            let key = signature(sample.labels, modifiers.matching)
            guard let right = rightBySignature[key] else { continue }
            guard matched.insert(key).inserted else {
                throw PromQLEvaluationError(
                    description:
                        "multiple matches for labels \(key.promQLDescription): many-to-one matching must be explicit (group_left/group_right)"
                )
            }
            var value = op.apply(sample.value, right.value)
            if op.isComparison && !modifiers.returnBool {
                guard value == 1 else { continue }
                value = sample.value
            }
            var labels = sample.labels
            if !op.isComparison || modifiers.returnBool { labels["__name__"] = nil }
            switch modifiers.matching {
            case .all: break
            case .on(let names): labels = labels.filter { names.contains($0.key) }
            case .ignoring(let names): labels = labels.filter { !names.contains($0.key) }
            }
            results.append(PromQLSample(labels: labels, value: value))
        }
        return try unique(results)
    }
}
