/// Parses the PromQL subset into a ``PromQLExpression``, refusing anything outside it with its position.
public struct PromQLParser {
    private var tokens: [PromQLToken]
    private var index = 0
    /// Expressions open around the token being parsed (parentheses, calls, operands).
    private var depth = 0

    /// Deepest nesting of an expression (128): far beyond any rule, and well within the stack of a
    /// connection thread, which parses rule files on `POST /v1/reload` (the PromQL fuzzer found that
    /// thousands of `(` overflowed it).
    public static let maximumNesting = 128

    /// The expression `text`, parsed and type-checked.
    public static func parse(_ text: String) throws(PromQLError) -> PromQLExpression {
        var parser = PromQLParser(tokens: try PromQLLexer.tokens(of: text))
        let expression = try parser.expression(minimumPrecedence: 0)
        guard parser.current.kind == .end else { throw parser.unexpected("the end of the expression") }
        return expression
    }

    private init(tokens: [PromQLToken]) { self.tokens = tokens }

    private var current: PromQLToken { tokens[index] }

    private mutating func advance() -> PromQLToken {
        defer { index = min(index + 1, tokens.count - 1) }
        return tokens[index]
    }

    private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

    private func isIdentifier(_ name: String) -> Bool { current.kind == .identifier(name) }

    private mutating func expect(_ symbol: String) throws(PromQLError) {
        guard isSymbol(symbol) else { throw unexpected("'\(symbol)'") }
        _ = advance()
    }

    private func unexpected(_ wanted: String) -> PromQLError {
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

    private func outsideSubset(_ what: String, at offset: Int) -> PromQLError {
        PromQLError(offset: offset, message: "\(what) is outside memoryd's PromQL subset (docs/rules.md)")
    }

    // MARK: - Binary operators

    private mutating func expression(minimumPrecedence: Int) throws(PromQLError) -> PromQLExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumNesting else {
            throw PromQLError(offset: current.offset, message: "expression nested deeper than \(Self.maximumNesting) levels")
        }
        var left = try unary()
        while true {
            let offset = current.offset
            if case .identifier(let word) = current.kind, ["and", "or", "unless", "atan2"].contains(word) {
                throw outsideSubset("the operator '\(word)'", at: offset)
            }
            guard case .symbol(let symbol) = current.kind, let op = BinaryOperator(rawValue: symbol),
                op.precedence >= minimumPrecedence
            else { return left }
            _ = advance()
            let modifiers = try binaryModifiers(for: op)
            // `^` is right-associative; the others associate to the left.
            let right = try expression(minimumPrecedence: op == .power ? op.precedence : op.precedence + 1)
            left = try Self.checkedBinary(op, left, right, modifiers, at: offset)
        }
    }

    private mutating func binaryModifiers(for op: BinaryOperator) throws(PromQLError) -> BinaryModifiers {
        var modifiers = BinaryModifiers()
        if isIdentifier("bool") {
            guard op.isComparison else {
                throw PromQLError(
                    offset: current.offset, message: "bool modifier can only be used on comparison operators")
            }
            _ = advance()
            modifiers.returnBool = true
        }
        if isIdentifier("on") || isIdentifier("ignoring") {
            let on = isIdentifier("on")
            _ = advance()
            let labels = try labelList()
            modifiers.matching = on ? .on(labels) : .ignoring(labels)
        }
        if case .identifier(let word) = current.kind, word == "group_left" || word == "group_right" {
            throw outsideSubset("many-to-one matching ('\(word)')", at: current.offset)
        }
        return modifiers
    }

    private static func checkedBinary(
        _ op: BinaryOperator, _ left: PromQLExpression, _ right: PromQLExpression, _ modifiers: BinaryModifiers,
        at offset: Int
    ) throws(PromQLError) -> PromQLExpression {
        for side in [left, right] where side.type == .matrix {
            throw PromQLError(
                offset: offset, message: "binary expression must contain only scalar and instant vector types")
        }
        if left.type == .scalar && right.type == .scalar {
            if op.isComparison && !modifiers.returnBool {
                throw PromQLError(offset: offset, message: "comparisons between scalars must use BOOL modifier")
            }
            if modifiers.matching != .all {
                throw PromQLError(offset: offset, message: "vector matching only allowed between instant vectors")
            }
        } else if modifiers.matching != .all && (left.type != .vector || right.type != .vector) {
            throw PromQLError(offset: offset, message: "vector matching only allowed between instant vectors")
        }
        return .binary(op, left, right, modifiers: modifiers)
    }

    // MARK: - Unary, postfix, primary

    private mutating func unary() throws(PromQLError) -> PromQLExpression {
        if isSymbol("-") || isSymbol("+") {
            let negative = isSymbol("-")
            let offset = advance().offset
            // Unary minus binds looser than `^`: -a^b is -(a^b).
            let operand = try expression(minimumPrecedence: BinaryOperator.power.precedence)
            guard operand.type != .matrix else {
                throw PromQLError(
                    offset: offset,
                    message: "unary expression only allowed on expressions of type scalar or instant vector")
            }
            if negative, case .number(let value) = operand { return .number(-value) }
            return negative ? .negate(operand) : operand
        }
        return try postfix()
    }

    private mutating func postfix() throws(PromQLError) -> PromQLExpression {
        let start = current.offset
        let primary = try self.primary()
        if isSymbol("[") {
            let bracket = advance().offset
            guard case .vector(let selector) = primary else {
                throw PromQLError(offset: bracket, message: "ranges only allowed for vector selectors")
            }
            guard case .duration(let milliseconds) = current.kind, milliseconds > 0 else {
                throw unexpected("a duration such as 5m")
            }
            _ = advance()
            if isSymbol(":") { throw outsideSubset("a subquery", at: start) }
            try expect("]")
            try refuseOffset()
            return .range(selector, rangeMilliseconds: milliseconds)
        }
        try refuseOffset()
        return primary
    }

    private func refuseOffset() throws(PromQLError) {
        if isIdentifier("offset") { throw outsideSubset("'offset'", at: current.offset) }
        if isSymbol("@") { throw outsideSubset("'@'", at: current.offset) }
    }

    private mutating func primary() throws(PromQLError) -> PromQLExpression {
        let token = current
        switch token.kind {
        case .number(let value):
            _ = advance()
            return .number(value)
        case .string:
            throw outsideSubset("a string literal", at: token.offset)
        case .duration:
            throw unexpected("an expression")
        case .symbol("("):
            _ = advance()
            let inner = try expression(minimumPrecedence: 0)
            try expect(")")
            return .parenthesized(inner)
        case .symbol("{"):
            return .vector(try selector(name: nil, at: token.offset))
        case .identifier(let word):
            _ = advance()
            if word.lowercased() == "inf" { return .number(.infinity) }
            if word.lowercased() == "nan" { return .number(.nan) }
            if let op = AggregateOperator(rawValue: word),
                isSymbol("(") || isIdentifier("by") || isIdentifier("without")
            {
                return try aggregate(op, at: token.offset)
            }
            if Self.otherAggregations.contains(word) && (isSymbol("(") || isIdentifier("by") || isIdentifier("without"))
            {
                throw outsideSubset("the aggregation '\(word)'", at: token.offset)
            }
            if isSymbol("(") {
                guard let function = PromQLFunction(rawValue: word) else {
                    throw outsideSubset("the function '\(word)'", at: token.offset)
                }
                return try call(function, at: token.offset)
            }
            return .vector(try selector(name: word, at: token.offset))
        default:
            throw unexpected("an expression")
        }
    }

    private static let otherAggregations: Set = [
        "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
    ]

    private mutating func aggregate(_ op: AggregateOperator, at offset: Int) throws(PromQLError) -> PromQLExpression {
        var grouping = try optionalGrouping()
        try expect("(")
        let argumentOffset = current.offset
        let argument = try expression(minimumPrecedence: 0)
        if isSymbol(",") { throw outsideSubset("an aggregation parameter", at: current.offset) }
        try expect(")")
        if grouping == nil { grouping = try optionalGrouping() }
        guard argument.type == .vector else {
            throw PromQLError(
                offset: argumentOffset,
                message: "expected type instant vector in aggregation expression, got \(Self.name(of: argument.type))")
        }
        return .aggregate(op, argument, grouping: grouping ?? .by([]))
    }

    private mutating func optionalGrouping() throws(PromQLError) -> Grouping? {
        if isIdentifier("by") {
            _ = advance()
            return .by(try labelList())
        }
        if isIdentifier("without") {
            _ = advance()
            return .without(try labelList())
        }
        return nil
    }

    private mutating func labelList() throws(PromQLError) -> [String] {
        try expect("(")
        var labels: [String] = []
        while !isSymbol(")") {
            guard case .identifier(let label) = current.kind else { throw unexpected("a label name") }
            _ = advance()
            labels.append(label)
            if !isSymbol(",") { break }
            _ = advance()
        }
        try expect(")")
        return labels
    }

    private mutating func call(_ function: PromQLFunction, at offset: Int) throws(PromQLError) -> PromQLExpression {
        try expect("(")
        var arguments: [(PromQLExpression, Int)] = []
        while !isSymbol(")") {
            let argumentOffset = current.offset
            arguments.append((try expression(minimumPrecedence: 0), argumentOffset))
            if !isSymbol(",") { break }
            _ = advance()
        }
        try expect(")")
        let wanted = function.parameters
        guard arguments.count == wanted.count else {
            throw PromQLError(
                offset: offset,
                message:
                    "expected \(wanted.count) argument(s) in call to \"\(function.rawValue)\", got \(arguments.count)")
        }
        for ((argument, argumentOffset), type) in zip(arguments, wanted) where argument.type != type {
            throw PromQLError(
                offset: argumentOffset,
                message:
                    "expected type \(Self.name(of: type)) in call to function \"\(function.rawValue)\", got \(Self.name(of: argument.type))"
            )
        }
        return .call(function, arguments.map(\.0))
    }

    private static func name(of type: ValueType) -> String {
        switch type {
        case .scalar: "scalar"
        case .vector: "instant vector"
        case .matrix: "range vector"
        }
    }

    private mutating func selector(name: String?, at offset: Int) throws(PromQLError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        if isSymbol("{") {
            _ = advance()
            while !isSymbol("}") {
                guard case .identifier(let label) = current.kind else { throw unexpected("a label name") }
                let matcherOffset = advance().offset
                guard case .symbol(let symbol) = current.kind, let kind = LabelMatcher.Kind(rawValue: symbol) else {
                    throw unexpected("a label matching operator (=, !=, =~, !~)")
                }
                _ = advance()
                guard case .string(let value) = current.kind else { throw unexpected("a quoted label value") }
                _ = advance()
                do {
                    matchers.append(try LabelMatcher(name: label, kind: kind, value: value))
                } catch {
                    throw PromQLError(
                        offset: matcherOffset, message: "bad regular expression \"\(value)\": \(error.reason)")
                }
                if !isSymbol(",") { break }
                _ = advance()
            }
            try expect("}")
        }
        let selector = VectorSelector(name: name, matchers: matchers)
        if name == nil && matchers.allSatisfy({ $0.matches("") }) {
            throw PromQLError(
                offset: offset, message: "vector selector must contain at least one non-empty matcher")
        }
        return selector
    }
}
