/// An expression that cannot be parsed, or uses PromQL outside the supported subset.
public struct PromQLError: Error, Sendable, CustomStringConvertible {
    /// Offset of the offending token in the expression, in Unicode scalars from its start.
    public var offset: Int
    public var message: String

    public var description: String { "\(message) (at character \(offset + 1))" }
}

/// One token of an expression and where it starts.
struct PromQLToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case number(Double)
        case string(String)
        /// A duration such as `5m` or `1h30m`, in milliseconds.
        case duration(Int64)
        case symbol(String)
        case end
    }

    var kind: Kind
    var offset: Int
}

/// Splits an expression into tokens.
struct PromQLLexer {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    /// Every token, ending with `.end`.
    static func tokens(of text: String) throws(PromQLError) -> [PromQLToken] {
        var lexer = PromQLLexer(text)
        var tokens: [PromQLToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private static let symbols = [
        "==", "!=", ">=", "<=", "=~", "!~", "(", ")", "{", "}", "[", "]", ",", "=", "+", "-",
        "*", "/", "%", "^", ">", "<", ":",
    ]

    private mutating func next() throws(PromQLError) -> PromQLToken {
        skipSpaceAndComments()
        let start = position
        guard position < scalars.count else { return PromQLToken(kind: .end, offset: start) }
        let scalar = scalars[position]
        if scalar.properties.isAlphabetic || scalar == "_" || scalar == ":" && isIdentifierStart(at: position + 1) {
            return PromQLToken(kind: .identifier(identifier()), offset: start)
        }
        if scalar.properties.numericType != nil || scalar == "." {
            return PromQLToken(kind: try numberOrDuration(), offset: start)
        }
        if scalar == "\"" || scalar == "'" || scalar == "`" {
            return PromQLToken(kind: .string(try string(quote: scalar)), offset: start)
        }
        for symbol in Self.symbols where matches(symbol) {
            position += symbol.unicodeScalars.count
            return PromQLToken(kind: .symbol(symbol), offset: start)
        }
        throw PromQLError(offset: start, message: "unexpected character '\(scalar)'")
    }

    private func isIdentifierStart(at index: Int) -> Bool {
        index < scalars.count && (scalars[index].properties.isAlphabetic || scalars[index] == "_")
    }

    private func matches(_ symbol: String) -> Bool {
        let wanted = Array(symbol.unicodeScalars)
        guard position + wanted.count <= scalars.count else { return false }
        return Array(scalars[position..<position + wanted.count]) == wanted
    }

    private mutating func skipSpaceAndComments() {
        while position < scalars.count {
            if scalars[position].properties.isWhitespace {
                position += 1
            } else if scalars[position] == "#" {
                while position < scalars.count, scalars[position] != "\n" { position += 1 }
            } else {
                return
            }
        }
    }

    private mutating func identifier() -> String {
        var text = ""
        while position < scalars.count {
            let scalar = scalars[position]
            guard
                scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "_" || scalar == ":"
            else { break }
            text.unicodeScalars.append(scalar)
            position += 1
        }
        return text
    }

    /// Milliseconds per duration unit, as Prometheus reads them.
    private static let unitMilliseconds: [(String, Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000),
        ("y", 31_536_000_000),
    ]

    private mutating func numberOrDuration() throws(PromQLError) -> PromQLToken.Kind {
        let start = position
        var text = ""
        while position < scalars.count {
            let scalar = scalars[position]
            let isExponent = (scalar == "e" || scalar == "E") && !text.isEmpty
            let isExponentSign = (scalar == "+" || scalar == "-") && (text.hasSuffix("e") || text.hasSuffix("E"))
            guard scalar.properties.numericType != nil || scalar == "." || isExponent || isExponentSign else { break }
            text.unicodeScalars.append(scalar)
            position += 1
        }
        if position < scalars.count, scalars[position].properties.isAlphabetic, let whole = Int64(text) {
            guard let milliseconds = durationRest(first: whole) else {
                throw PromQLError(offset: start, message: "bad duration; use units ms, s, m, h, d, w, y as in 1h30m")
            }
            return .duration(milliseconds)
        }
        guard let value = Double(text) else { throw PromQLError(offset: start, message: "bad number '\(text)'") }
        return .number(value)
    }

    /// Reads the units of a duration whose first number was already read; `nil` if it is not one (or
    /// does not fit in milliseconds).
    private mutating func durationRest(first: Int64) -> Int64? {
        var amount = first
        var total: Int64 = 0
        while true {
            var unit = ""
            while position < scalars.count, scalars[position].properties.isAlphabetic {
                unit.unicodeScalars.append(scalars[position])
                position += 1
            }
            guard let milliseconds = Self.unitMilliseconds.first(where: { $0.0 == unit })?.1 else { return nil }
            // A duration past Int64 milliseconds (292 million years) is not one.
            let (part, overflowed) = amount.multipliedReportingOverflow(by: milliseconds)
            let (sum, overflowedSum) = total.addingReportingOverflow(part)
            guard !overflowed, !overflowedSum else { return nil }
            total = sum
            var digits = ""
            while position < scalars.count, scalars[position].properties.numericType != nil {
                digits.unicodeScalars.append(scalars[position])
                position += 1
            }
            if digits.isEmpty { return total }
            guard let next = Int64(digits) else { return nil }
            amount = next
        }
    }

    private mutating func string(quote: Unicode.Scalar) throws(PromQLError) -> String {
        let start = position
        position += 1
        var text = ""
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            if scalar == quote { return text }
            if scalar == "\\" && quote != "`" {
                guard position < scalars.count else { break }
                let escaped = scalars[position]
                position += 1
                switch escaped {
                case "n": text += "\n"
                case "t": text += "\t"
                case "r": text += "\r"
                case "\\", "\"", "'": text.unicodeScalars.append(escaped)
                default:
                    throw PromQLError(offset: position - 2, message: "unknown escape sequence '\\\(escaped)'")
                }
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        throw PromQLError(offset: start, message: "unterminated string")
    }
}
