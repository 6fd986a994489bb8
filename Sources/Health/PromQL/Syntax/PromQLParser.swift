import JobkitSupport

/// Parses PromQL as Prometheus 2.42 does into a type-checked ``PromQLExpression``, refusing what it
/// refuses with the offending position.
public struct PromQLParser {
    var tokens: [PromQLToken]
    var index = 0
    /// Expressions open around the token being parsed (parentheses, calls, operands).
    private var depth = 0

    /// Deepest nesting of an expression (128): far beyond any rule, and well within the stack of a
    /// HTTP thread that parses rule files on `POST /v1/reload` (the PromQL fuzzer found that
    /// thousands of `(` overflowed it).
    public static let maximumNesting = 128

    /// The expression `text`, parsed and type-checked.
    public static func parse(_ text: String) throws(PromQLError) -> PromQLExpression {
        var parser = PromQLParser(tokens: try PromQLLexer.tokens(of: text))
        guard parser.current.kind != .end else { throw PromQLError(offset: 0, message: "no expression found in input") }
        let expression = try parser.expression(minimumPrecedence: 0)
        guard parser.current.kind == .end else { throw parser.unexpected("the end of the expression") }
        return expression
    }

    /// A duration as Prometheus writes them (`30s`, `1h30m`), in milliseconds; `nil` if `text` is not one.
    public static func duration(_ text: String) -> Int64? { DurationText.milliseconds(text) }

    private init(tokens: [PromQLToken]) { self.tokens = tokens }

    var current: PromQLToken { tokens[index] }

    @discardableResult
    mutating func advance() -> PromQLToken {
        defer { index = min(index + 1, tokens.count - 1) }
        return tokens[index]
    }

    func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

    /// Whether the current token is the keyword `word`, in any case.
    func isKeyword(_ word: String) -> Bool {
        if case .identifier(let name) = current.kind { return name.lowercased() == word }
        return false
    }

    mutating func expect(_ symbol: String) throws(PromQLError) {
        guard isSymbol(symbol) else { throw unexpected("'\(symbol)'") }
        advance()
    }

    func unexpected(_ wanted: String) -> PromQLError {
        let found: String =
            switch current.kind {
            case .end: "the end of the expression"
            case .identifier(let name): "'\(name)'"
            case .number(let value): "number \(value)"
            case .string(let text): "string \"\(text)\""
            case .duration: "a duration"
            case .symbol(let symbol): "'\(symbol)'"
            }
        return PromQLError(offset: current.offset, message: "expected \(wanted), found \(found)")
    }

    // MARK: - Binary operators

    /// The binary operator at the current token, if any.
    private var binaryOperator: BinaryOperator? {
        switch current.kind {
        case .symbol(let symbol): BinaryOperator(rawValue: symbol)
        case .identifier(let word):
            ["and", "or", "unless", "atan2"].contains(word.lowercased())
                ? BinaryOperator(rawValue: word.lowercased()) : nil
        default: nil
        }
    }

    mutating func expression(minimumPrecedence: Int) throws(PromQLError) -> PromQLExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumNesting else {
            throw PromQLError(
                offset: current.offset, message: "expression nested deeper than \(Self.maximumNesting) levels")
        }
        var left = try unary()
        while let op = binaryOperator, op.precedence >= minimumPrecedence {
            let offset = advance().offset
            var binary = BinaryExpression(op: op, left: left, right: .number(0), returnBool: false, matching: nil)
            let matching = try binaryModifiers(&binary)
            // `^` is right-associative; the others associate to the left.
            binary.right = try expression(minimumPrecedence: op == .power ? op.precedence : op.precedence + 1)
            left = try Self.checked(binary, matching: matching, at: offset)
        }
        return left
    }

    /// `bool`, `on`/`ignoring (…)`, `group_left`/`group_right (…)` after an operator.
    private mutating func binaryModifiers(_ binary: inout BinaryExpression) throws(PromQLError) -> VectorMatching? {
        if isKeyword("bool") {
            guard binary.op.isComparison else {
                throw PromQLError(
                    offset: current.offset, message: "bool modifier can only be used on comparison operators")
            }
            advance()
            binary.returnBool = true
        }
        var matching: VectorMatching?
        if isKeyword("on") || isKeyword("ignoring") {
            let on = isKeyword("on")
            advance()
            matching = VectorMatching(cardinality: .oneToOne, on: on, labels: try labelList(), include: [])
        }
        if isKeyword("group_left") || isKeyword("group_right") {
            let left = isKeyword("group_left")
            let offset = advance().offset
            if binary.op.isSetOperator {
                throw PromQLError(
                    offset: offset, message: "no grouping allowed for \"\(binary.op.rawValue)\" operation")
            }
            var grouped = matching ?? VectorMatching(cardinality: .oneToOne, on: false, labels: [], include: [])
            grouped.cardinality = left ? .manyToOne : .oneToMany
            if isSymbol("(") { grouped.include = try labelList() }
            if grouped.on, let both = grouped.include.first(where: grouped.labels.contains) {
                throw PromQLError(
                    offset: offset, message: "label \"\(both)\" must not occur in ON and GROUP clause at once")
            }
            matching = grouped
        }
        return matching
    }

    private static func checked(
        _ binary: BinaryExpression, matching: VectorMatching?, at offset: Int
    ) throws(PromQLError) -> PromQLExpression {
        var binary = binary
        let (left, right) = (binary.left.type, binary.right.type)
        for side in [left, right] where side != .scalar && side != .vector {
            throw PromQLError(
                offset: offset, message: "binary expression must contain only scalar and instant vector types")
        }
        if binary.op.isSetOperator && (left != .vector || right != .vector) {
            throw PromQLError(
                offset: offset,
                message: "set operator \"\(binary.op.rawValue)\" not allowed in binary scalar expression")
        }
        if left == .scalar && right == .scalar && binary.op.isComparison && !binary.returnBool {
            throw PromQLError(offset: offset, message: "comparisons between scalars must use BOOL modifier")
        }
        if left == .vector && right == .vector {
            var vectorMatching = matching ?? VectorMatching(cardinality: .oneToOne, on: false, labels: [], include: [])
            if binary.op.isSetOperator { vectorMatching.cardinality = .manyToMany }
            binary.matching = vectorMatching
        } else if matching != nil {
            throw PromQLError(offset: offset, message: "vector matching only allowed between instant vectors")
        }
        return .binary(binary)
    }

    // MARK: - Unary and postfix

    private mutating func unary() throws(PromQLError) -> PromQLExpression {
        guard isSymbol("-") || isSymbol("+") else { return try postfix(try primary()) }
        let negative = isSymbol("-")
        let offset = advance().offset
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumNesting else {
            throw PromQLError(offset: offset, message: "expression nested deeper than \(Self.maximumNesting) levels")
        }
        // Unary operators bind like `*`: -a^b is -(a^b), -a*b is (-a)*b.
        let operand = try expression(minimumPrecedence: BinaryOperator.power.precedence)
        guard operand.type == .scalar || operand.type == .vector else {
            throw PromQLError(
                offset: offset, message: "unary expression only allowed on expressions of type scalar or instant vector"
            )
        }
        if case .number(let value) = operand { return .number(negative ? -value : value) }
        return negative ? .negate(operand) : operand
    }

    /// Ranges, subqueries, `offset` and `@` after an expression.
    private mutating func postfix(_ base: PromQLExpression) throws(PromQLError) -> PromQLExpression {
        var expression = base
        while true {
            let offset = current.offset
            if isSymbol("[") {
                expression = try range(after: expression)
            } else if isKeyword("offset") {
                advance()
                let negative = isSymbol("-")
                if negative { advance() }
                guard case .duration(let milliseconds) = current.kind else { throw unexpected("a duration") }
                advance()
                expression = try Self.modified(expression, at: offset) { selector, subquery throws(PromQLError) in
                    guard (selector?.offset ?? 0) == 0, (subquery?.offset ?? 0) == 0 else {
                        throw PromQLError(offset: offset, message: "offset may not be set multiple times")
                    }
                    selector?.offset = negative ? -milliseconds : milliseconds
                    subquery?.offset = negative ? -milliseconds : milliseconds
                }
            } else if isSymbol("@") {
                advance()
                let at = try atModifier()
                expression = try Self.modified(expression, at: offset) { selector, subquery throws(PromQLError) in
                    guard selector?.at == nil, subquery?.at == nil else {
                        throw PromQLError(offset: offset, message: "@ <timestamp> may not be set multiple times")
                    }
                    selector?.at = at
                    subquery?.at = at
                }
            } else {
                return expression
            }
        }
    }

    private mutating func range(after expression: PromQLExpression) throws(PromQLError) -> PromQLExpression {
        let bracket = advance().offset
        guard case .duration(let range) = current.kind else { throw unexpected("a duration such as 5m") }
        advance()
        if isSymbol(":") {
            advance()
            var step: Int64?
            if case .duration(let milliseconds) = current.kind {
                step = milliseconds
                advance()
            }
            try expect("]")
            guard expression.type == .vector else {
                throw PromQLError(
                    offset: bracket,
                    message: "subquery is only allowed on instant vector, got \(expression.type.documentedName) instead"
                )
            }
            if step == 0 { throw PromQLError(offset: bracket, message: "zero step in subquery") }
            return .subquery(Subquery(expression: expression, range: range, step: step))
        }
        try expect("]")
        guard case .selector(let selector) = expression else {
            throw PromQLError(offset: bracket, message: "ranges only allowed for vector selectors")
        }
        guard selector.offset == 0, selector.at == nil else {
            throw PromQLError(offset: bracket, message: "no offset or @ modifiers allowed before range")
        }
        guard range > 0 else { throw PromQLError(offset: bracket, message: "range must be greater than zero") }
        return .matrix(selector, range: range)
    }

    private mutating func atModifier() throws(PromQLError) -> AtModifier {
        if isKeyword("start") || isKeyword("end") {
            let start = isKeyword("start")
            advance()
            try expect("(")
            try expect(")")
            return start ? .start : .end
        }
        let negative = isSymbol("-")
        if negative || isSymbol("+") { advance() }
        let offset = current.offset
        guard case .number(let seconds) = current.kind else { throw unexpected("a timestamp after @") }
        advance()
        let milliseconds = (negative ? -seconds : seconds) * 1000
        guard milliseconds.isFinite, abs(milliseconds) < 9.2e18 else {
            throw PromQLError(offset: offset, message: "timestamp out of bounds for @ modifier: \(seconds)")
        }
        return .time(Int64(milliseconds.rounded()))
    }

    /// `expression` with its selector or subquery changed by `change`.
    private static func modified(
        _ expression: PromQLExpression, at offset: Int,
        _ change: (inout VectorSelector?, inout Subquery?) throws(PromQLError) -> Void
    ) throws(PromQLError) -> PromQLExpression {
        var selector: VectorSelector?
        var subquery: Subquery?
        switch expression {
        case .selector(let value), .matrix(let value, _): selector = value
        case .subquery(let value): subquery = value
        default:
            throw PromQLError(
                offset: offset,
                message:
                    "offset and @ modifiers must be preceded by an instant vector selector, a range vector selector or a subquery"
            )
        }
        try change(&selector, &subquery)
        switch expression {
        case .matrix(_, let range): return .matrix(selector!, range: range)
        case .subquery: return .subquery(subquery!)
        default: return .selector(selector!)
        }
    }
}
