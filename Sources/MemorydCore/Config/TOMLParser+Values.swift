/// Values and scanning: the parts of ``TOMLParser`` below the level of lines and tables.
extension TOMLParser {
    // MARK: - Values

    /// Deepest nesting of arrays and inline tables (128): far beyond any config, and well within the
    /// stack of the HTTP thread that parses the file on `POST /v1/reload` (the TOML fuzzer found
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
                throw ConfigError(
                    start, "arrays and inline tables are nested deeper than \(Self.maximumNesting) levels")
            }
            return byte == UInt8(ascii: "[") ? try parseArray() : try parseInlineTable()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let word = takeWhile { $0.isBareKeyCharacter }
            guard word == "true" || word == "false" else {
                throw ConfigError(start, "expected a value, found '\(word)'")
            }
            return TOMLValue(kind: .boolean(word == "true"), location: start)
        default:
            if let dateTime = try parseDateTime() { return TOMLValue(kind: .dateTime(dateTime), location: start) }
            return try parseNumber()
        }
    }

    mutating func parseArray() throws(ConfigError) -> TOMLValue {
        let start = location
        advance()
        var elements: [TOMLValue] = []
        while true {
            try skipBlankLines()
            if peek() == UInt8(ascii: "]") {
                advance()
                return TOMLValue(kind: .array(elements), location: start)
            }
            elements.append(try parseValue())
            try skipBlankLines()
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

    /// Skips spaces, newlines (LF or CRLF) and comments.
    mutating func skipBlankLines() throws(ConfigError) {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") {
                advance()
            } else if byte == UInt8(ascii: "\r") {
                try skipCarriageReturn()
            } else if byte == UInt8(ascii: "#") {
                try skipComment()
            } else {
                return
            }
        }
    }

    /// A CR, which TOML allows only as part of CRLF.
    mutating func skipCarriageReturn() throws(ConfigError) {
        guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") else {
            throw ConfigError(location, "a carriage return must be followed by a newline")
        }
        advance()
    }

    /// A comment to the end of its line, which may hold no control character but tab.
    mutating func skipComment() throws(ConfigError) {
        while let next = peek(), next != UInt8(ascii: "\n") {
            if next == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { return }
            if Self.isForbiddenControl(next) {
                throw ConfigError(location, "a control character in a comment")
            }
            advance()
        }
    }

    mutating func expectEndOfLine() throws(ConfigError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        if peek() == UInt8(ascii: "\r") { try skipCarriageReturn() }
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
