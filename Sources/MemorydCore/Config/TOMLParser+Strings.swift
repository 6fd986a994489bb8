/// TOML's four kinds of string: basic (`"…"`, with escapes), literal (`'…'`), and their multi-line forms
/// (`"""…"""`, `'''…'''`), with TOML 1.0's rules on escapes, control characters and line endings.
extension TOMLParser {
    private static let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), backslash = UInt8(ascii: "\\")
    private static let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r"), tab = UInt8(ascii: "\t")

    /// Whether `byte` may not appear in a string as it is: control characters other than tab, and DEL.
    static func isForbiddenControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != tab) || byte == 0x7F }

    mutating func parseBasicString() throws(ConfigError) -> String {
        if bytes[index...].starts(with: [Self.quote, Self.quote, Self.quote]) {
            return try parseMultilineString(basic: true)
        }
        return try parseSingleLineString(basic: true)
    }

    mutating func parseLiteralString() throws(ConfigError) -> String {
        if bytes[index...].starts(with: [Self.apostrophe, Self.apostrophe, Self.apostrophe]) {
            return try parseMultilineString(basic: false)
        }
        return try parseSingleLineString(basic: false)
    }

    /// `"…"` (with escapes) or `'…'` (without), on one line.
    private mutating func parseSingleLineString(basic: Bool) throws(ConfigError) -> String {
        let start = location
        let delimiter = basic ? Self.quote : Self.apostrophe
        advance()
        var result: [UInt8] = []
        while true {
            guard let byte = peek(), byte != Self.newline else { throw ConfigError(start, "unterminated string") }
            if Self.isForbiddenControl(byte) { throw controlCharacter(byte) }
            advance()
            if byte == delimiter { return String(decoding: result, as: UTF8.self) }
            if basic && byte == Self.backslash {
                result += try parseEscape()
            } else {
                result.append(byte)
            }
        }
    }

    /// `"""…"""` or `'''…'''`: a newline right after the opening is dropped, CRLF reads as LF, up to two
    /// quotes may end the content before the closing three, and in a basic one a backslash at the end of
    /// a line joins it to the next non-blank character.
    private mutating func parseMultilineString(basic: Bool) throws(ConfigError) -> String {
        let start = location
        let delimiter = basic ? Self.quote : Self.apostrophe
        for _ in 0..<3 { advance() }
        if peek() == Self.carriageReturn && index + 1 < bytes.count && bytes[index + 1] == Self.newline { advance() }
        if peek() == Self.newline { advance() }
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else { throw ConfigError(start, "unterminated multi-line string") }
            if byte == delimiter && bytes[index...].starts(with: [delimiter, delimiter, delimiter]) {
                var run = 0
                while index + run < bytes.count && bytes[index + run] == delimiter { run += 1 }
                guard run <= 5 else { throw ConfigError(location, "too many quotes at the end of a multi-line string") }
                result += [UInt8](repeating: delimiter, count: run - 3)
                for _ in 0..<run { advance() }
                return String(decoding: result, as: UTF8.self)
            }
            if byte == Self.carriageReturn {
                guard index + 1 < bytes.count, bytes[index + 1] == Self.newline else {
                    throw ConfigError(location, "a carriage return must be followed by a newline")
                }
                advance()
                continue
            }
            if Self.isForbiddenControl(byte) && byte != Self.newline { throw controlCharacter(byte) }
            advance()
            if basic && byte == Self.backslash {
                if try skipLineEndingBackslash() { continue }
                result += try parseEscape()
            } else {
                result.append(byte)
            }
        }
    }

    /// After a backslash in a multi-line basic string: if only blanks follow it on its line, skips them,
    /// the line ending and every blank and line ending after, and says so.
    private mutating func skipLineEndingBackslash() throws(ConfigError) -> Bool {
        var look = index
        while look < bytes.count && (bytes[look] == UInt8(ascii: " ") || bytes[look] == Self.tab) { look += 1 }
        if look < bytes.count && bytes[look] == Self.carriageReturn { look += 1 }
        guard look < bytes.count, bytes[look] == Self.newline else { return false }
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == Self.tab || byte == Self.newline || byte == Self.carriageReturn
        {
            if byte == Self.carriageReturn && !(index + 1 < bytes.count && bytes[index + 1] == Self.newline) {
                throw ConfigError(location, "a carriage return must be followed by a newline")
            }
            advance()
        }
        return true
    }

    private func controlCharacter(_ byte: UInt8) -> ConfigError {
        let hex = String(byte, radix: 16, uppercase: true)
        return ConfigError(
            location,
            "control character U+\(String(repeating: "0", count: 4 - hex.count) + hex) in a string (escape it)")
    }

    mutating func parseEscape() throws(ConfigError) -> [UInt8] {
        let start = location
        guard let byte = peek() else { throw ConfigError(start, "unterminated string") }
        advance()
        switch byte {
        case Self.quote: return [Self.quote]
        case Self.backslash: return [Self.backslash]
        case UInt8(ascii: "n"): return [10]
        case UInt8(ascii: "t"): return [9]
        case UInt8(ascii: "r"): return [13]
        case UInt8(ascii: "b"): return [8]
        case UInt8(ascii: "f"): return [12]
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = byte == UInt8(ascii: "u") ? 4 : 8
            let hex = takeCount(count)
            guard hex.utf8.count == count, hex.utf8.allSatisfy({ $0.isHexDigit }), let code = UInt32(hex, radix: 16),
                let scalar = Unicode.Scalar(code)
            else {
                throw ConfigError(start, "invalid unicode escape \\\(Character(Unicode.Scalar(byte)))\(hex)")
            }
            return Array(String(Character(scalar)).utf8)
        default:
            throw ConfigError(start, "invalid escape \\\(Character(Unicode.Scalar(byte)))")
        }
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
