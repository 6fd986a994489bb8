extension PromQLParser {
    /// A literal, a parenthesized expression, a selector, a call or an aggregation.
    mutating func primary() throws(PromQLError) -> PromQLExpression {
        let token = current
        switch token.kind {
        case .number(let value):
            advance()
            return .number(value)
        case .string(let text):
            advance()
            return .string(text)
        case .symbol("("):
            advance()
            let inner = try expression(minimumPrecedence: 0)
            try expect(")")
            return .parenthesized(inner)
        case .symbol("{"):
            return .selector(try selector(name: nil, at: token.offset))
        case .identifier(let word):
            let lowered = word.lowercased()
            if lowered == "inf" || lowered == "nan" {
                advance()
                return .number(lowered == "inf" ? .infinity : .nan)
            }
            if let op = AggregateOperator(rawValue: lowered) {
                advance()
                return try aggregate(op, at: token.offset)
            }
            advance()
            if isSymbol("(") {
                guard let function = PromQLFunction(rawValue: word) else {
                    throw PromQLError(offset: token.offset, message: "unknown function with name \"\(word)\"")
                }
                return try call(function, at: token.offset)
            }
            if Self.keywords.contains(lowered) {
                throw PromQLError(offset: token.offset, message: "unexpected keyword '\(word)'")
            }
            return .selector(try selector(name: word, at: token.offset))
        default:
            throw unexpected("an expression")
        }
    }

    /// Words that cannot name a metric on their own.
    private static let keywords: Set = [
        "and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
        "offset",
    ]

    private mutating func aggregate(_ op: AggregateOperator, at offset: Int) throws(PromQLError) -> PromQLExpression {
        var grouping = try optionalGrouping()
        guard isSymbol("(") else { throw unexpected("'(' after the aggregation '\(op.rawValue)'") }
        advance()
        var arguments: [(PromQLExpression, Int)] = []
        while !isSymbol(")") {
            arguments.append((try expression(minimumPrecedence: 0), current.offset))
            if !isSymbol(",") { break }
            advance()
        }
        try expect(")")
        if grouping == nil { grouping = try optionalGrouping() }
        let wanted = op.parameterType == nil ? 1 : 2
        guard arguments.count == wanted else {
            throw PromQLError(
                offset: offset, message: "wrong number of arguments for aggregate expression provided, expected \(wanted), got \(arguments.count)")
        }
        let (argument, argumentOffset) = arguments[wanted - 1]
        guard argument.type == .vector else {
            throw PromQLError(
                offset: argumentOffset,
                message: "expected type instant vector in aggregation expression, got \(argument.type.documentedName)")
        }
        var parameter: PromQLExpression?
        if let type = op.parameterType {
            parameter = arguments[0].0
            guard parameter!.type == type else {
                throw PromQLError(
                    offset: offset,
                    message: "expected type \(type.documentedName) in aggregation parameter, got \(parameter!.type.documentedName)")
            }
        }
        return .aggregate(Aggregation(op: op, expression: argument, parameter: parameter, grouping: grouping ?? .by([])))
    }

    private mutating func optionalGrouping() throws(PromQLError) -> Grouping? {
        if isKeyword("by") {
            advance()
            return .by(try labelList())
        }
        if isKeyword("without") {
            advance()
            return .without(try labelList())
        }
        return nil
    }

    /// `(a, b)`: label names (keywords included), a trailing comma allowed.
    mutating func labelList() throws(PromQLError) -> [String] {
        try expect("(")
        var labels: [String] = []
        while !isSymbol(")") {
            guard case .identifier(let label) = current.kind, !label.contains(":") else { throw unexpected("a label name") }
            advance()
            labels.append(label)
            if !isSymbol(",") { break }
            advance()
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
            advance()
            if isSymbol(")") { throw unexpected("a function argument") }
        }
        try expect(")")
        let signature = function.signature
        if arguments.count < signature.minimumArguments
            || signature.maximumArguments.map({ arguments.count > $0 }) ?? false
        {
            throw PromQLError(
                offset: offset,
                message: "expected \(signature.parameters.count) argument(s) in call to \"\(function.rawValue)\", got \(arguments.count)")
        }
        for (position, (argument, argumentOffset)) in arguments.enumerated() {
            let type = function.parameterType(at: position)
            guard argument.type == type else {
                throw PromQLError(
                    offset: argumentOffset,
                    message: "expected type \(type.documentedName) in call to function \"\(function.rawValue)\", got \(argument.type.documentedName)")
            }
        }
        return .call(function, arguments.map(\.0))
    }

    mutating func selector(name: String?, at offset: Int) throws(PromQLError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        if let name { matchers.append(try! LabelMatcher(name: LabelSet.metricName, kind: .equal, value: name)) }
        if isSymbol("{") {
            advance()
            while !isSymbol("}") {
                guard case .identifier(let label) = current.kind, !label.contains(":") else {
                    throw unexpected("a label name")
                }
                let matcherOffset = advance().offset
                guard case .symbol(let symbol) = current.kind, let kind = LabelMatcher.Kind(rawValue: symbol) else {
                    throw unexpected("a label matching operator (=, !=, =~, !~)")
                }
                advance()
                guard case .string(let value) = current.kind else { throw unexpected("a quoted label value") }
                advance()
                if name != nil && label == LabelSet.metricName {
                    throw PromQLError(offset: matcherOffset, message: "metric name must not be set twice: \"\(name!)\" or \"\(value)\"")
                }
                do {
                    matchers.append(try LabelMatcher(name: label, kind: kind, value: value))
                } catch {
                    throw PromQLError(offset: matcherOffset, message: "bad regular expression \"\(value)\": \(error.reason)")
                }
                if !isSymbol(",") { break }
                advance()
            }
            try expect("}")
        }
        if matchers.allSatisfy({ $0.matches("") }) {
            throw PromQLError(offset: offset, message: "vector selector must contain at least one non-empty matcher")
        }
        return VectorSelector(matchers: matchers)
    }
}
