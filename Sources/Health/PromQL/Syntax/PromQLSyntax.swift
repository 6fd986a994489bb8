/// A PromQL expression as Prometheus 2.x parses it (docs/rules.md lists the language).
public indirect enum PromQLExpression: Sendable, Hashable {
    case number(Double)
    case string(String)
    /// An instant vector selector: `name{label="value"} offset 5m @ 100`.
    case selector(VectorSelector)
    /// A range selector: each matching series' samples of the last `range` milliseconds.
    case matrix(VectorSelector, range: Int64)
    case subquery(Subquery)
    case call(PromQLFunction, [PromQLExpression])
    case aggregate(Aggregation)
    case binary(BinaryExpression)
    case negate(PromQLExpression)
    case parenthesized(PromQLExpression)

    /// What the expression yields, as PromQL types it.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .selector, .aggregate: .vector
        case .matrix, .subquery: .matrix
        case .call(let function, _): function.signature.returns
        case .binary(let binary): binary.left.type == .scalar && binary.right.type == .scalar ? .scalar : .vector
        case .negate(let inner), .parenthesized(let inner): inner.type
        }
    }

    /// How far before the evaluation time (milliseconds) the expression reads samples: ranges, offsets,
    /// subqueries and the lookback of instant selectors. Selectors with `@` read at a fixed time and
    /// count only their range.
    public func reach(lookback: Int64) -> Int64 {
        switch self {
        case .number, .string: 0
        case .selector(let selector): lookback + max(selector.offset, 0)
        case .matrix(let selector, let range): range + max(selector.offset, 0)
        case .subquery(let subquery):
            subquery.range + max(subquery.offset, 0) + subquery.expression.reach(lookback: lookback)
        case .call(_, let arguments): arguments.map { $0.reach(lookback: lookback) }.max() ?? 0
        case .aggregate(let aggregation):
            max(aggregation.expression.reach(lookback: lookback), aggregation.parameter?.reach(lookback: lookback) ?? 0)
        case .binary(let binary): max(binary.left.reach(lookback: lookback), binary.right.reach(lookback: lookback))
        case .negate(let inner), .parenthesized(let inner): inner.reach(lookback: lookback)
        }
    }

    /// Every selector in the expression, to know which series it can read.
    public var selectors: [VectorSelector] {
        switch self {
        case .number, .string: []
        case .selector(let selector), .matrix(let selector, _): [selector]
        case .subquery(let subquery): subquery.expression.selectors
        case .call(_, let arguments): arguments.flatMap(\.selectors)
        case .aggregate(let aggregation): aggregation.expression.selectors + (aggregation.parameter?.selectors ?? [])
        case .binary(let binary): binary.left.selectors + binary.right.selectors
        case .negate(let inner), .parenthesized(let inner): inner.selectors
        }
    }

    /// The expression inside any parentheses.
    var unwrapped: PromQLExpression {
        if case .parenthesized(let inner) = self { return inner.unwrapped }
        return self
    }
}

/// The kinds of value an expression can have.
public enum ValueType: String, Sendable {
    case scalar, vector, matrix, string

    /// The name Prometheus uses in messages.
    var documentedName: String {
        switch self {
        case .scalar: "scalar"
        case .vector: "instant vector"
        case .matrix: "range vector"
        case .string: "string"
        }
    }
}

/// `@ <time>`, `@ start()` or `@ end()`: evaluate a selector or subquery at a fixed time.
public enum AtModifier: Sendable, Hashable {
    /// Milliseconds since the Unix epoch.
    case time(Int64)
    case start
    case end
}

/// A metric name and label matchers, with the time modifiers that shift where it reads.
public struct VectorSelector: Sendable, Hashable {
    /// The matchers, the metric name among them as an equality matcher on `__name__`.
    public var matchers: [LabelMatcher]
    /// Milliseconds to shift the read back (negative: forward).
    public var offset: Int64 = 0
    public var at: AtModifier?

    public init(matchers: [LabelMatcher], offset: Int64 = 0, at: AtModifier? = nil) {
        self.matchers = matchers
        self.offset = offset
        self.at = at
    }

    /// Whether a series with `labels` is selected.
    public func matches(_ labels: LabelSet) -> Bool {
        matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") }
    }

    /// The metric name, when one matcher fixes it.
    public var metricName: String? {
        matchers.first { $0.name == LabelSet.metricName && $0.kind == .equal }?.value
    }
}

/// `expression[range:step]`: the expression evaluated at every `step` over `range`.
public struct Subquery: Sendable, Hashable {
    public var expression: PromQLExpression
    /// Milliseconds.
    public var range: Int64
    /// Milliseconds; `nil` is the evaluation interval (a rule group's interval).
    public var step: Int64?
    public var offset: Int64 = 0
    public var at: AtModifier?
}

/// One label matcher: `=`, `!=`, `=~` or `!~`.
public struct LabelMatcher: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case equal = "=", notEqual = "!=", matchesRegex = "=~", notMatchesRegex = "!~"
    }

    public var name: String
    public var kind: Kind
    public var value: String
    /// The regular expression, anchored at both ends as Prometheus anchors it.
    let pattern: AnchoredPattern?

    public init(name: String, kind: Kind, value: String) throws(PatternError) {
        self.name = name
        self.kind = kind
        self.value = value
        pattern = kind == .matchesRegex || kind == .notMatchesRegex ? try AnchoredPattern(value) : nil
    }

    /// Whether a label value (empty when the label is absent) satisfies the matcher.
    public func matches(_ candidate: String) -> Bool {
        switch kind {
        case .equal: candidate == value
        case .notEqual: candidate != value
        case .matchesRegex: pattern!.matches(candidate)
        case .notMatchesRegex: !pattern!.matches(candidate)
        }
    }

    /// Whether the matcher asks for one metric name (`name` or `{__name__="name"}`): every series it
    /// admits has that name.
    var isNameEquality: Bool { name == LabelSet.metricName && kind == .equal && !value.isEmpty }
}

/// `sum`, `topk`, `count_values`, …: the aggregation operators.
public enum AggregateOperator: String, Sendable, Hashable, CaseIterable {
    case sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, quantile
    case countValues = "count_values"

    /// The type of the parameter before the vector, if the operator takes one.
    var parameterType: ValueType? {
        switch self {
        case .topk, .bottomk, .quantile: .scalar
        case .countValues: .string
        default: nil
        }
    }
}

/// `by (…)` keeps only the listed labels; `without (…)` drops them and the metric name.
public enum Grouping: Sendable, Hashable {
    case by([String])
    case without([String])
}

/// `op [parameter,] expression` grouped by `grouping`.
public struct Aggregation: Sendable, Hashable {
    public var op: AggregateOperator
    public var expression: PromQLExpression
    public var parameter: PromQLExpression?
    public var grouping: Grouping
}

/// Arithmetic, comparison and set operators.
public enum BinaryOperator: String, Sendable, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "^", atan2
    case equal = "==", notEqual = "!=", greater = ">", less = "<", greaterOrEqual = ">=", lessOrEqual = "<="
    case and, or, unless

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual: true
        default: false
        }
    }

    var isSetOperator: Bool { self == .and || self == .or || self == .unless }

    /// Binding strength, as Prometheus' grammar orders it: higher binds tighter.
    var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual: 3
        case .add, .subtract: 4
        case .multiply, .divide, .modulo, .atan2: 5
        case .power: 6
        }
    }

    /// Whether the result loses the metric name (Prometheus 2.x: arithmetic, not `atan2`).
    var dropsMetricName: Bool {
        switch self {
        case .add, .subtract, .multiply, .divide, .modulo, .power: true
        default: false
        }
    }
}

/// How the two sides of a binary operator between vectors are matched.
public struct VectorMatching: Sendable, Hashable {
    public enum Cardinality: Sendable, Hashable {
        case oneToOne, manyToOne, oneToMany, manyToMany
    }

    public var cardinality: Cardinality
    /// `on (…)` when true, `ignoring (…)` (or neither) when false.
    public var on: Bool
    public var labels: [String]
    /// The labels `group_left (…)` / `group_right (…)` copy from the "one" side.
    public var include: [String]
}

/// `left op [bool] [on|ignoring (…)] [group_left|group_right (…)] right`.
public struct BinaryExpression: Sendable, Hashable {
    public var op: BinaryOperator
    public var left: PromQLExpression
    public var right: PromQLExpression
    public var returnBool: Bool
    /// `nil` unless both sides are vectors.
    public var matching: VectorMatching?
}
