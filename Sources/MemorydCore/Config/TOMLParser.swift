/// A TOML parser that keeps the location of every key and value, so config errors can say
/// `file:line:column`.
///
/// It reads TOML 1.0: comments; bare, quoted and dotted keys; `[tables]` and `[[arrays of tables]]`;
/// basic, literal and multi-line strings; integers (decimal, hex, octal, binary), floats (`inf`, `nan`),
/// booleans, dates and times; arrays and inline tables. toml-test's cases measure it
/// (`scripts/toml-conformance`).
package struct TOMLParser {
    let file: String
    let bytes: [UInt8]
    var index = 0
    /// Arrays and inline tables open around the value being parsed.
    var nesting = 0
    var line = 1
    var column = 1
    private var root = TOMLTable()
    /// The table that `key = value` lines go into: a path from the root (an array of tables means its last table).
    private var currentPath: [String] = []

    /// Parses the bytes of a file, naming it `file` in errors; bytes that are not UTF-8 are refused with
    /// the place of the first, as TOML requires.
    package static func parse(utf8 bytes: [UInt8], file: String) throws(ConfigError) -> TOMLTable {
        if let error = utf8Error(in: bytes, file: file) { throw error }
        return try parse(String(decoding: bytes, as: UTF8.self), file: file)
    }

    /// Where `bytes` stop being UTF-8, as an error, or `nil` when they are UTF-8 throughout.
    static func utf8Error(in bytes: [UInt8], file: String) -> ConfigError? {
        guard let bad = firstInvalidUTF8(bytes) else { return nil }
        let before = bytes[..<bad]
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<bad], as: UTF8.self).count + 1
        return ConfigError(
            SourceLocation(file: file, line: line, column: column), "not UTF-8: a TOML file must be UTF-8")
    }

    /// The index of the first byte that is not part of well-formed UTF-8 (no overlong forms, surrogates or
    /// values past U+10FFFF), or `nil`.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let (length, low, high): (Int, UInt8, UInt8) =
                switch lead {
                case 0x00...0x7F: (1, 0x80, 0xBF)
                case 0xC2...0xDF: (2, 0x80, 0xBF)
                case 0xE0: (3, 0xA0, 0xBF)
                case 0xED: (3, 0x80, 0x9F)
                case 0xE1...0xEF: (3, 0x80, 0xBF)
                case 0xF0: (4, 0x90, 0xBF)
                case 0xF4: (4, 0x80, 0x8F)
                case 0xF1...0xF3: (4, 0x80, 0xBF)
                default: (0, 0, 0)
                }
            guard length > 0, index + length <= bytes.count else { return index }
            for offset in 1..<max(length, 1) {
                let byte = bytes[index + offset]
                let range = offset == 1 ? low...high : 0x80...0xBF
                if !range.contains(byte) { return index }
            }
            index += length
        }
        return nil
    }

    /// Parses `text`, naming it `file` in errors.
    package static func parse(_ text: String, file: String) throws(ConfigError) -> TOMLTable {
        var parser = TOMLParser(file: file, bytes: Array(text.utf8))
        try parser.parseDocument()
        return parser.root
    }

    private init(file: String, bytes: [UInt8]) {
        self.file = file
        self.bytes = bytes
        root.explicitlyDefined = true
        // A byte-order mark may open the file; it is no part of the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    // MARK: - Document

    private mutating func parseDocument() throws(ConfigError) {
        while true {
            try skipBlankLines()
            guard let byte = peek() else { return }
            if byte == UInt8(ascii: "[") {
                try parseHeader()
            } else {
                let (keys, locations) = try parseKey()
                skipSpaces()
                try expect("=", "'=' after the key")
                skipSpaces()
                let value = try parseValue()
                let path = currentPath
                try withTable(path: path, in: &root) { (table: inout TOMLTable) throws(ConfigError) in
                    try Self.insert(value, keys: keys, locations: locations, into: &table)
                }
            }
            try expectEndOfLine()
        }
    }

    private mutating func parseHeader() throws(ConfigError) {
        let start = location
        advance()
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { advance() }
        skipSpaces()
        let (keys, keyLocations) = try parseKey()
        skipSpaces()
        try expect("]", "']' to close the table header")
        if isArray { try expect("]", "']]' to close the array-of-tables header") }
        let parent = Array(keys.dropLast())
        let last = keys.last!
        let lastLocation = keyLocations.last!
        try withTable(path: parent, locations: Array(keyLocations.dropLast()), in: &root) {
            (table: inout TOMLTable) throws(ConfigError) in
            if let position = table.index(of: last) {
                var entry = table.entries[position]
                switch entry.value.kind {
                case .table(var existing) where !isArray:
                    // A table that dotted keys made may get sub-tables from headers, but no header of its own.
                    guard !existing.explicitlyDefined, !existing.inline, !existing.definedByDottedKeys else {
                        throw ConfigError(start, "table [\(keys.joined(separator: "."))] is defined twice")
                    }
                    existing.explicitlyDefined = true
                    entry.value.kind = .table(existing)
                // Only an array of tables made by `[[…]]` headers grows by one; `x = []` is a value of its own.
                case .array(var elements)
                where isArray && !elements.isEmpty && elements.allSatisfy({ $0.isHeaderTable }):
                    var fresh = TOMLTable()
                    fresh.explicitlyDefined = true
                    elements.append(TOMLValue(kind: .table(fresh), location: start))
                    entry.value.kind = .array(elements)
                default:
                    throw ConfigError(
                        start,
                        "'\(keys.joined(separator: "."))' is already \(entry.value.typeName) (at \(entry.keyLocation))")
                }
                table.entries[position] = entry
            } else {
                var fresh = TOMLTable()
                fresh.explicitlyDefined = true
                let value = TOMLValue(kind: .table(fresh), location: lastLocation)
                table.entries.append(
                    TOMLTable.Entry(
                        key: last, keyLocation: lastLocation,
                        value: isArray ? TOMLValue(kind: .array([value]), location: start) : value))
            }
        }
        currentPath = keys
    }

    /// Runs `body` on the table at `path` (an array of tables stands for its last table), creating implicit
    /// tables on the way, located at `locations` (the keys' places, when known).
    private func withTable(
        path: [String], locations: [SourceLocation] = [], in table: inout TOMLTable,
        _ body: (inout TOMLTable) throws(ConfigError) -> Void
    ) throws(ConfigError) {
        guard let first = path.first else { return try body(&table) }
        let rest = Array(path.dropFirst())
        let restLocations = Array(locations.dropFirst())
        guard let position = table.index(of: first) else {
            // An implicit table, created by a header or dotted key that names something inside it.
            let keyLocation = locations.first ?? location
            var fresh = TOMLTable()
            try withTable(path: rest, locations: restLocations, in: &fresh, body)
            table.entries.append(
                TOMLTable.Entry(
                    key: first, keyLocation: keyLocation, value: TOMLValue(kind: .table(fresh), location: keyLocation)))
            return
        }
        var entry = table.entries[position]
        switch entry.value.kind {
        case .table(var inner) where !inner.inline:
            try withTable(path: rest, locations: restLocations, in: &inner, body)
            entry.value.kind = .table(inner)
        case .array(var elements) where elements.last?.isHeaderTable == true:
            guard case .table(var inner) = elements[elements.count - 1].kind else { return }
            try withTable(path: rest, locations: restLocations, in: &inner, body)
            elements[elements.count - 1].kind = .table(inner)
            entry.value.kind = .array(elements)
        default:
            throw ConfigError(
                location,
                "'\(first)' is already \(entry.value.typeName) (at \(entry.keyLocation)), not a table to add to")
        }
        table.entries[position] = entry
    }

    /// Inserts `value` at the dotted `keys` inside `table`.
    static func insert(
        _ value: TOMLValue, keys: [String], locations: [SourceLocation], into table: inout TOMLTable
    ) throws(ConfigError) {
        let key = keys[0]
        if keys.count == 1 {
            if let existing = table.entries.first(where: { $0.key == key }) {
                throw ConfigError(locations[0], "'\(key)' is already defined (at \(existing.keyLocation))")
            }
            table.entries.append(TOMLTable.Entry(key: key, keyLocation: locations[0], value: value))
            return
        }
        let rest = Array(keys.dropFirst())
        let restLocations = Array(locations.dropFirst())
        if let position = table.index(of: key) {
            guard case .table(var inner) = table.entries[position].value.kind, !inner.inline, !inner.explicitlyDefined
            else {
                throw ConfigError(
                    locations[0], "'\(key)' is already defined (at \(table.entries[position].keyLocation))")
            }
            try insert(value, keys: rest, locations: restLocations, into: &inner)
            table.entries[position].value.kind = .table(inner)
        } else {
            var inner = TOMLTable()
            inner.definedByDottedKeys = true
            try insert(value, keys: rest, locations: restLocations, into: &inner)
            table.entries.append(
                TOMLTable.Entry(
                    key: key, keyLocation: locations[0], value: TOMLValue(kind: .table(inner), location: locations[0])))
        }
    }

    // MARK: - Keys

    mutating func parseKey() throws(ConfigError) -> ([String], [SourceLocation]) {
        var keys: [String] = []
        var locations: [SourceLocation] = []
        while true {
            skipSpaces()
            locations.append(location)
            keys.append(try parseSimpleKey())
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return (keys, locations) }
            advance()
        }
    }

    private mutating func parseSimpleKey() throws(ConfigError) -> String {
        if bytes[index...].starts(with: Array("\"\"\"".utf8)) || bytes[index...].starts(with: Array("'''".utf8)) {
            throw ConfigError(location, "a key cannot be a multi-line string")
        }
        switch peek() {
        case UInt8(ascii: "\""): return try parseBasicString()
        case UInt8(ascii: "'"): return try parseLiteralString()
        default:
            var key: [UInt8] = []
            while let byte = peek(), byte.isBareKeyCharacter {
                key.append(byte)
                advance()
            }
            guard !key.isEmpty else { throw ConfigError(location, "expected a key, found \(describeNext())") }
            return String(decoding: key, as: UTF8.self)
        }
    }
}

extension UInt8 {
    /// `A-Z a-z 0-9 _ -`, the characters of a bare key.
    var isBareKeyCharacter: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || self == UInt8(ascii: "_")
            || self == UInt8(ascii: "-")
    }
}

extension TOMLValue {
    /// A table created by a `[[header]]`, as an element of an array of tables.
    fileprivate var isHeaderTable: Bool {
        if case .table(let table) = kind { return table.explicitlyDefined }
        return false
    }
}
