/// Values and scanning: the parts of ``TOMLParser`` below the level of lines and tables.
extension TOMLParser {
    // MARK: - Values

    /// Deepest nesting of arrays and inline tables (128): far beyond any config, and well within the
    /// stack of a connection thread, which parses the file on `POST /v1/reload` (the TOML fuzzer found
    /// that 100,000 `[` overflowed it).
    static let maximumNesting = 128

    mutating func parseValue() throws(ConfigError) -> TOMLValue {
        let start = location
        guard let byte = peek() else { throw ConfigError(start, "expected a value, found the end of the file") }
        switch byte {
        case UInt8(ascii: "\""): return TOMLValue(kind: .string(try parseBasicString()), location: start)
        case UInt8(ascii: "'"): return TOMLValue(kind: .string(try parseLiteralString()), location: start)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            nesting += 1
            defer { nesting -= 1 }
            guard nesting <= Self.maximumNesting else {
                throw ConfigError(start, "arrays and inline tables are nested deeper than \(Self.maximumNesting) levels")
            }
            return byte == UInt8(ascii: "[") ? try parseArray() : try parseInlineTable()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let word = takeWhile { $0.isBareKeyCharacter }
            guard word == "true" || word == "false" else {
                throw ConfigError(start, "expected a value, found '\(word)'")
            }
            return TOMLValue(kind: .boolean(word == "true"), location: start)
        default:
            return try parseNumber()
        }
    }

    mutating func parseNumber() throws(ConfigError) -> TOMLValue {
        let start = location
        let text = takeWhile { $0.isBareKeyCharacter || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".") }
        guard !text.isEmpty else { throw ConfigError(start, "expected a value, found \(describeNext())") }
        if peek() == UInt8(ascii: ":") || (text.count >= 10 && text.dropFirst(4).first == "-") {
            throw ConfigError(start, "dates and times are not supported; write durations as strings like \"30s\"")
        }
        let digits = text.filter { $0 != "_" }
        if let integer = Int64(digits) { return TOMLValue(kind: .integer(integer), location: start) }
        if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let float = Double(digits), float.isFinite {
            return TOMLValue(kind: .float(float), location: start)
        }
        throw ConfigError(start, "'\(text)' is not a valid value (strings need quotes)")
    }

    mutating func parseArray() throws(ConfigError) -> TOMLValue {
        let start = location
        advance()
        var elements: [TOMLValue] = []
        while true {
            skipBlankLines()
            if peek() == UInt8(ascii: "]") {
                advance()
                return TOMLValue(kind: .array(elements), location: start)
            }
            elements.append(try parseValue())
            skipBlankLines()
            switch peek() {
            case UInt8(ascii: ","): advance()
            case UInt8(ascii: "]"): continue
            default: throw ConfigError(location, "expected ',' or ']' in the array, found \(describeNext())")
            }
        }
    }

    mutating func parseInlineTable() throws(ConfigError) -> TOMLValue {
        let start = location
        advance()
        var table = TOMLTable()
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            advance()
            table.inline = true
            return TOMLValue(kind: .table(table), location: start)
        }
        while true {
            let (keys, locations) = try parseKey()
            skipSpaces()
            try expect("=", "'=' after the key")
            skipSpaces()
            try Self.insert(try parseValue(), keys: keys, locations: locations, into: &table)
            skipSpaces()
            switch peek() {
            case UInt8(ascii: ","): advance()
            case UInt8(ascii: "}"):
                advance()
                table.inline = true
                return TOMLValue(kind: .table(table), location: start)
            default: throw ConfigError(location, "expected ',' or '}' in the inline table, found \(describeNext())")
            }
        }
    }

    mutating func parseBasicString() throws(ConfigError) -> String {
        let start = location
        if bytes[index...].starts(with: Array("\"\"\"".utf8)) {
            throw ConfigError(start, "multi-line strings are not supported")
        }
        advance()
        var result: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else {
                throw ConfigError(start, "unterminated string")
            }
            advance()
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"): result += try parseEscape()
            default: result.append(byte)
            }
        }
    }

    mutating func parseEscape() throws(ConfigError) -> [UInt8] {
        let start = location
        guard let byte = peek() else { throw ConfigError(start, "unterminated string") }
        advance()
        switch byte {
        case UInt8(ascii: "\""): return [UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): return [UInt8(ascii: "\\")]
        case UInt8(ascii: "n"): return [10]
        case UInt8(ascii: "t"): return [9]
        case UInt8(ascii: "r"): return [13]
        case UInt8(ascii: "b"): return [8]
        case UInt8(ascii: "f"): return [12]
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = byte == UInt8(ascii: "u") ? 4 : 8
            let hex = takeCount(count)
            guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                throw ConfigError(start, "invalid unicode escape \\\(Character(Unicode.Scalar(byte)))\(hex)")
            }
            return Array(String(Character(scalar)).utf8)
        default:
            throw ConfigError(start, "invalid escape \\\(Character(Unicode.Scalar(byte)))")
        }
    }

    mutating func parseLiteralString() throws(ConfigError) -> String {
        let start = location
        if bytes[index...].starts(with: Array("'''".utf8)) {
            throw ConfigError(start, "multi-line strings are not supported")
        }
        advance()
        var result: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw ConfigError(start, "unterminated string") }
            advance()
            if byte == UInt8(ascii: "'") { return String(decoding: result, as: UTF8.self) }
            result.append(byte)
        }
    }

    // MARK: - Scanning

    var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func advance() {
        guard index < bytes.count else { return }
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if bytes[index] & 0xC0 != 0x80 {
            // Columns count characters, not the continuation bytes of UTF-8.
            column += 1
        }
        index += 1
    }

    mutating func takeWhile(_ predicate: (UInt8) -> Bool) -> String {
        var taken: [UInt8] = []
        while let byte = peek(), predicate(byte) {
            taken.append(byte)
            advance()
        }
        return String(decoding: taken, as: UTF8.self)
    }

    mutating func takeCount(_ count: Int) -> String {
        var taken: [UInt8] = []
        for _ in 0..<count {
            guard let byte = peek() else { break }
            taken.append(byte)
            advance()
        }
        return String(decoding: taken, as: UTF8.self)
    }

    mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    /// Skips spaces, newlines and comments.
    mutating func skipBlankLines() {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                advance()
            } else if byte == UInt8(ascii: "#") {
                while let next = peek(), next != UInt8(ascii: "\n") { advance() }
            } else {
                return
            }
        }
    }

    mutating func expectEndOfLine() throws(ConfigError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") {
            while let next = peek(), next != UInt8(ascii: "\n") { advance() }
        }
        if peek() == UInt8(ascii: "\r") { advance() }
        guard let byte = peek() else { return }
        guard byte == UInt8(ascii: "\n") else {
            throw ConfigError(location, "expected the end of the line, found \(describeNext())")
        }
        advance()
    }

    mutating func expect(_ character: Character, _ what: String) throws(ConfigError) {
        guard let byte = peek(), byte == character.asciiValue else {
            throw ConfigError(location, "expected \(what), found \(describeNext())")
        }
        advance()
    }

    func describeNext() -> String {
        guard let byte = peek() else { return "the end of the file" }
        if byte == UInt8(ascii: "\n") { return "the end of the line" }
        let rest = bytes[index...].prefix { $0 != UInt8(ascii: "\n") }.prefix(20)
        return "'\(String(decoding: rest, as: UTF8.self))'"
    }
}
