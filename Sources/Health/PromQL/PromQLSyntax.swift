#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An expression of the PromQL subset memoryd evaluates (see docs/rules.md for the grammar).
public indirect enum PromQLExpression: Sendable, Hashable {
    case number(Double)
    case vector(VectorSelector)
    /// A range selector: the samples of the last `rangeMilliseconds` of each matching series.
    case range(VectorSelector, rangeMilliseconds: Int64)
    case call(PromQLFunction, [PromQLExpression])
    case aggregate(AggregateOperator, PromQLExpression, grouping: Grouping)
    case binary(BinaryOperator, PromQLExpression, PromQLExpression, modifiers: BinaryModifiers)
    case negate(PromQLExpression)
    case parenthesized(PromQLExpression)

    /// What the expression yields, as PromQL types it.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .vector, .aggregate: .vector
        case .range: .matrix
        case .call(let function, _): function.returnType
        case .binary(_, let left, let right, _): left.type == .scalar && right.type == .scalar ? .scalar : .vector
        case .negate(let inner), .parenthesized(let inner): inner.type
        }
    }

    /// The longest range any selector in the expression reads, in milliseconds.
    public var longestRangeMilliseconds: Int64 {
        switch self {
        case .number, .vector: 0
        case .range(_, let range): range
        case .call(_, let arguments): arguments.map(\.longestRangeMilliseconds).max() ?? 0
        case .aggregate(_, let inner, _), .negate(let inner), .parenthesized(let inner): inner.longestRangeMilliseconds
        case .binary(_, let left, let right, _): max(left.longestRangeMilliseconds, right.longestRangeMilliseconds)
        }
    }
}

/// The kinds of value an expression can have.
public enum ValueType: String, Sendable {
    case scalar, vector, matrix
}

/// A metric name and label matchers: `name{label="value", …}`.
public struct VectorSelector: Sendable, Hashable {
    public var name: String?
    public var matchers: [LabelMatcher]

    public init(name: String?, matchers: [LabelMatcher]) {
        self.name = name
        self.matchers = matchers
    }

    /// Whether a series with `labels` (its name under `__name__`) is selected.
    func matches(_ labels: Labels) -> Bool {
        if let name, labels["__name__"] != name { return false }
        return matchers.allSatisfy { $0.matches(labels[$0.name] ?? "") }
    }
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

    init(name: String, kind: Kind, value: String) throws(PatternError) {
        self.name = name
        self.kind = kind
        self.value = value
        pattern = kind == .matchesRegex || kind == .notMatchesRegex ? try AnchoredPattern(value) : nil
    }

    /// Whether a label value (empty when the label is absent) satisfies the matcher.
    func matches(_ candidate: String) -> Bool {
        switch kind {
        case .equal: candidate == value
        case .notEqual: candidate != value
        case .matchesRegex: pattern!.matches(candidate)
        case .notMatchesRegex: !pattern!.matches(candidate)
        }
    }
}

/// The functions of the subset.
public enum PromQLFunction: String, Sendable, Hashable, CaseIterable {
    case rate, increase, delta, histogram_quantile, absent, vector, scalar, time

    /// Argument types, in order.
    var parameters: [ValueType] {
        switch self {
        case .rate, .increase, .delta: [.matrix]
        case .histogram_quantile: [.scalar, .vector]
        case .absent, .scalar: [.vector]
        case .vector: [.scalar]
        case .time: []
        }
    }

    var returnType: ValueType {
        switch self {
        case .scalar, .time: .scalar
        default: .vector
        }
    }
}

/// `sum`, `avg`, `min`, `max`, `count`.
public enum AggregateOperator: String, Sendable, Hashable, CaseIterable {
    case sum, avg, min, max, count
}

/// `by (…)` keeps only the listed labels; `without (…)` drops them and the metric name.
public enum Grouping: Sendable, Hashable {
    case by([String])
    case without([String])
}

/// Arithmetic and comparison operators.
public enum BinaryOperator: String, Sendable, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "^"
    case equal = "==", notEqual = "!=", greater = ">", less = "<", greaterOrEqual = ">=", lessOrEqual = "<="

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual: true
        default: false
        }
    }

    /// Binding strength: higher binds tighter.
    var precedence: Int {
        switch self {
        case .power: 4
        case .multiply, .divide, .modulo: 3
        case .add, .subtract: 2
        default: 1
        }
    }

    func apply(_ left: Double, _ right: Double) -> Double {
        switch self {
        case .add: left + right
        case .subtract: left - right
        case .multiply: left * right
        case .divide: left / right
        case .modulo: left.truncatingRemainder(dividingBy: right)
        case .power: pow(left, right)
        case .equal: left == right ? 1 : 0
        case .notEqual: left != right ? 1 : 0
        case .greater: left > right ? 1 : 0
        case .less: left < right ? 1 : 0
        case .greaterOrEqual: left >= right ? 1 : 0
        case .lessOrEqual: left <= right ? 1 : 0
        }
    }
}

/// `bool`, and how two vectors' elements are matched: `on (…)` or `ignoring (…)`.
public struct BinaryModifiers: Sendable, Hashable {
    public enum Matching: Sendable, Hashable {
        case all
        case on([String])
        case ignoring([String])
    }

    public var returnBool = false
    public var matching = Matching.all

    public init(returnBool: Bool = false, matching: Matching = .all) {
        self.returnBool = returnBool
        self.matching = matching
    }
}
