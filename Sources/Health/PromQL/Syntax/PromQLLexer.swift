import JobkitSupport

/// An expression that cannot be parsed or type-checked.
public struct PromQLError: Error, Sendable, CustomStringConvertible {
    /// Offset of the offending token in the expression, in Unicode scalars from its start.
    public var offset: Int
    public var message: String

    public var description: String { "\(message) (at character \(offset + 1))" }
}

/// One token of an expression and where it starts.
struct PromQLToken: Equatable {
    enum Kind: Equatable {
        /// A name: metric, label, function or keyword (keywords are recognized by the parser, in any case).
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

/// Splits an expression into tokens as Prometheus' lexer does.
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
        "*", "/", "%", "^", ">", "<", ":", "@",
    ]

    private mutating func next() throws(PromQLError) -> PromQLToken {
        skipSpaceAndComments()
        let start = position
        guard position < scalars.count else { return PromQLToken(kind: .end, offset: start) }
        let scalar = scalars[position]
        if Self.isLetter(scalar) || scalar == "_" || scalar == ":" && isIdentifierStart(at: position + 1) {
            return PromQLToken(kind: .identifier(identifier()), offset: start)
        }
        if Self.isDigit(scalar) || scalar == "." && position + 1 < scalars.count && Self.isDigit(scalars[position + 1])
        {
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

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private func isIdentifierStart(at index: Int) -> Bool {
        index < scalars.count && (Self.isLetter(scalars[index]) || scalars[index] == "_")
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
            guard Self.isLetter(scalar) || Self.isDigit(scalar) || scalar == "_" || scalar == ":" else { break }
            text.unicodeScalars.append(scalar)
            position += 1
        }
        return text
    }

    private mutating func numberOrDuration() throws(PromQLError) -> PromQLToken.Kind {
        let start = position
        var text = ""
        let hexadecimal = matches("0x") || matches("0X")
        if hexadecimal {
            text = "0x"
            position += 2
        }
        while position < scalars.count {
            let scalar = scalars[position]
            if hexadecimal {
                guard scalar.properties.isASCIIHexDigit else { break }
            } else {
                let isExponent =
                    (scalar == "e" || scalar == "E") && !text.isEmpty && !text.contains("e")
                    && position + 1 < scalars.count
                    && (Self.isDigit(scalars[position + 1]) || scalars[position + 1] == "+"
                        || scalars[position + 1] == "-")
                let isExponentSign = (scalar == "+" || scalar == "-") && (text.hasSuffix("e") || text.hasSuffix("E"))
                guard Self.isDigit(scalar) || scalar == "." || isExponent || isExponentSign else { break }
            }
            text.unicodeScalars.append(scalar)
            position += 1
        }
        if !hexadecimal, position < scalars.count, Self.isLetter(scalars[position]), Int64(text) != nil {
            // As Prometheus scans one: the number, then every unit letter and digit that follows.
            while position < scalars.count, Self.isLetter(scalars[position]) || Self.isDigit(scalars[position]) {
                text.unicodeScalars.append(scalars[position])
                position += 1
            }
            guard let milliseconds = DurationText.milliseconds(text) else {
                throw PromQLError(offset: start, message: "bad duration \"\(text)\"; write \(DurationText.grammar)")
            }
            return .duration(milliseconds)
        }
        if position < scalars.count, Self.isLetter(scalars[position]) || scalars[position] == "_" {
            throw PromQLError(offset: start, message: "bad number or duration syntax: \"\(text)\"")
        }
        guard let value = Self.number(text) else {
            throw PromQLError(offset: start, message: "bad number '\(text)'")
        }
        return .number(value)
    }

    /// A number as Prometheus reads it: Go's `ParseInt(text, 0, 64)` (hex, octal with a leading 0), then `ParseFloat`.
    static func number(_ text: String) -> Double? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return Int64(text.dropFirst(2), radix: 16).map(Double.init) }
        if text.count > 1, text.hasPrefix("0"), text.unicodeScalars.allSatisfy(isDigit),
            let octal = Int64(text.dropFirst(), radix: 8)
        {
            return Double(octal)
        }
        return Double(text)
    }

    private mutating func string(quote: Unicode.Scalar) throws(PromQLError) -> String {
        let start = position
        position += 1
        var text = ""
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            if scalar == quote { return text }
            if scalar == "\n" && quote != "`" { break }
            if scalar == "\\" && quote != "`" {
                text.unicodeScalars.append(try escape(quote: quote))
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        throw PromQLError(offset: start, message: "unterminated quoted string")
    }

    /// One Go escape sequence, the backslash already read.
    private mutating func escape(quote: Unicode.Scalar) throws(PromQLError) -> Unicode.Scalar {
        let start = position - 1
        guard position < scalars.count else { throw PromQLError(offset: start, message: "unterminated quoted string") }
        let escaped = scalars[position]
        position += 1
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}", "\\": "\\",
        ]
        if let value = simple[escaped] { return value }
        if escaped == quote { return escaped }
        let (digits, radix): (Int, Int)
        switch escaped {
        case "x": (digits, radix) = (2, 16)
        case "u": (digits, radix) = (4, 16)
        case "U": (digits, radix) = (8, 16)
        case "0"..."7":
            position -= 1
            (digits, radix) = (3, 8)
        default: throw PromQLError(offset: start, message: "unknown escape sequence '\\\(escaped)'")
        }
        guard position + digits <= scalars.count,
            let code = UInt32(String(String.UnicodeScalarView(scalars[position..<position + digits])), radix: radix),
            let value = Unicode.Scalar(code), radix == 16 || code <= 255
        else { throw PromQLError(offset: start, message: "invalid escape sequence '\\\(escaped)'") }
        position += digits
        return value
    }
}
