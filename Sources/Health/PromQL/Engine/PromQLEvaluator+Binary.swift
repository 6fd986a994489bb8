#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension PromQLEvaluator {
    func binary(_ binary: BinaryExpression, _ context: Context) throws(PromQLEvaluationError) -> EvaluatedValue {
        let left = try value(of: binary.left, context)
        let right = try value(of: binary.right, context)
        switch (left, right) {
        case (.scalar(let a), .scalar(let b)):
            let (value, keep) = Self.apply(binary.op, a, b)
            return .scalar(binary.op.isComparison ? (keep ? 1 : 0) : value)
        case (.vector(let vector), .scalar(let scalar)):
            return .vector(try Self.unique(Self.withScalar(binary, vector, scalar, scalarOnLeft: false, context.time)))
        case (.scalar(let scalar), .vector(let vector)):
            return .vector(try Self.unique(Self.withScalar(binary, vector, scalar, scalarOnLeft: true, context.time)))
        case (.vector(let a), .vector(let b)):
            let matching = binary.matching ?? VectorMatching(cardinality: .oneToOne, on: false, labels: [], include: [])
            switch binary.op {
            case .and: return .vector(Self.and(a, b, matching))
            case .or: return .vector(Self.or(a, b, matching))
            case .unless: return .vector(Self.unless(a, b, matching))
            default: return .vector(try Self.unique(try Self.match(binary, a, b, matching, context.time)))
            }
        default:
            throw PromQLEvaluationError("binary expression must contain only scalar and instant vector types")
        }
    }

    /// The operator on two values, and whether a comparison holds (always true for arithmetic).
    static func apply(_ op: BinaryOperator, _ left: Double, _ right: Double) -> (value: Double, keep: Bool) {
        switch op {
        case .add: (left + right, true)
        case .subtract: (left - right, true)
        case .multiply: (left * right, true)
        case .divide: (left / right, true)
        case .modulo: (fmod(left, right), true)
        case .power: (pow(left, right), true)
        case .atan2: (atan2(left, right), true)
        case .equal: (left, left == right)
        case .notEqual: (left, left != right)
        case .greater: (left, left > right)
        case .less: (left, left < right)
        case .greaterOrEqual: (left, left >= right)
        case .lessOrEqual: (left, left <= right)
        case .and, .or, .unless: (.nan, false)
        }
    }

    private static func withScalar(
        _ binary: BinaryExpression, _ vector: [VectorElement], _ scalar: Double, scalarOnLeft: Bool, _ time: Int64
    ) -> [VectorElement] {
        let dropName = binary.op.dropsMetricName || binary.returnBool
        return vector.compactMap { element in
            var (value, keep) = scalarOnLeft ? apply(binary.op, scalar, element.value) : apply(binary.op, element.value, scalar)
            // A comparison keeps the vector's value even when the scalar is on the left.
            if binary.op.isComparison && scalarOnLeft { value = element.value }
            if binary.returnBool {
                value = keep ? 1 : 0
            } else if !keep {
                return nil
            }
            return VectorElement(labels: dropName ? element.labels.droppingName : element.labels, value: value, time: time)
        }
    }

    /// What identifies an element for matching: the `on` labels, or all but the `ignoring` ones and the name.
    static func signature(_ labels: LabelSet, _ matching: VectorMatching) -> LabelSet {
        matching.on ? labels.keeping(matching.labels) : labels.removing(matching.labels + [LabelSet.metricName])
    }

    private static func match(
        _ binary: BinaryExpression, _ left: [VectorElement], _ right: [VectorElement], _ matching: VectorMatching,
        _ time: Int64
    ) throws(PromQLEvaluationError) -> [VectorElement] {
        guard !left.isEmpty, !right.isEmpty else { return [] }
        // Many-to-one reads from the left; one-to-many swaps the sides and swaps the values back.
        let swapped = matching.cardinality == .oneToMany
        let (many, one) = swapped ? (right, left) : (left, right)
        var oneSide: [LabelSet: VectorElement] = [:]
        for element in one {
            let key = signature(element.labels, matching)
            if let duplicate = oneSide[key] {
                throw PromQLEvaluationError(
                    "found duplicate series for the match group \(key) on the \(swapped ? "left" : "right") hand-side of the operation: [\(element.labels), \(duplicate.labels)];many-to-many matching not allowed: matching labels must be unique on one side"
                )
            }
            oneSide[key] = element
        }
        var matched: [LabelSet: Set<LabelSet>] = [:]
        var output: [VectorElement] = []
        for element in many {
            let key = signature(element.labels, matching)
            guard let partner = oneSide[key] else { continue }
            let (a, b) = swapped ? (partner.value, element.value) : (element.value, partner.value)
            var (value, keep) = apply(binary.op, a, b)
            if binary.returnBool {
                value = keep ? 1 : 0
            } else if !keep {
                continue
            }
            var labels = resultLabels(element.labels, partner.labels, binary.op, matching)
            if binary.returnBool { labels = labels.droppingName }
            if matching.cardinality == .oneToOne {
                guard matched[key] == nil else {
                    throw PromQLEvaluationError(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
                matched[key] = []
            } else if !matched[key, default: []].insert(labels).inserted {
                throw PromQLEvaluationError("multiple matches for labels: grouping labels must ensure unique matches")
            }
            output.append(VectorElement(labels: labels, value: value, time: time))
        }
        return output
    }

    /// Prometheus' `resultMetric`: the "many" side's labels, reduced for one-to-one matching, with the
    /// `group_x` labels copied from the "one" side.
    private static func resultLabels(
        _ many: LabelSet, _ one: LabelSet, _ op: BinaryOperator, _ matching: VectorMatching
    ) -> LabelSet {
        var labels = op.dropsMetricName ? many.droppingName : many
        if matching.cardinality == .oneToOne {
            labels = matching.on ? labels.keeping(matching.labels) : labels.removing(matching.labels)
        }
        for name in matching.include {
            labels = labels.setting(name, to: one[name] ?? "")
        }
        return labels
    }

    private static func and(_ left: [VectorElement], _ right: [VectorElement], _ matching: VectorMatching) -> [VectorElement] {
        let keys = Set(right.map { signature($0.labels, matching) })
        return left.filter { keys.contains(signature($0.labels, matching)) }
    }

    private static func or(_ left: [VectorElement], _ right: [VectorElement], _ matching: VectorMatching) -> [VectorElement] {
        let keys = Set(left.map { signature($0.labels, matching) })
        return left + right.filter { !keys.contains(signature($0.labels, matching)) }
    }

    private static func unless(_ left: [VectorElement], _ right: [VectorElement], _ matching: VectorMatching) -> [VectorElement] {
        let keys = Set(right.map { signature($0.labels, matching) })
        return left.filter { !keys.contains(signature($0.labels, matching)) }
    }
}
