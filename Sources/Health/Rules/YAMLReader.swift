/// A place in a file: 1-based line and column.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A node of a YAML document, with where it starts.
public indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping([(key: YAMLScalar, value: YAMLNode)], SourcePosition)
    case sequence([YAMLNode], SourcePosition)
    case empty(SourcePosition)

    public var position: SourcePosition {
        switch self {
        case .scalar(let scalar): scalar.position
        case .mapping(_, let position), .sequence(_, let position), .empty(let position): position
        }
    }
}

/// A scalar's text and where each of its lines starts, so a position inside it maps back to the file.
public struct YAMLScalar: Sendable {
    public var text: String
    public var position: SourcePosition
    /// For each line of `text` after the first: its offset in `text` (Unicode scalars) and its place in the file.
    var lineStarts: [(offset: Int, position: SourcePosition)] = []

    /// Where the `offset`-th Unicode scalar of `text` is in the file.
    public func position(ofOffset offset: Int) -> SourcePosition {
        guard let start = lineStarts.last(where: { $0.offset <= offset }) else {
            return SourcePosition(line: position.line, column: position.column + offset)
        }
        return SourcePosition(line: start.position.line, column: start.position.column + offset - start.offset)
    }
}

/// A document that is not YAML this reader understands.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public var description: String { "\(position): \(message)" }
}

/// Reads the block-style YAML that rule files use: mappings, sequences, plain and quoted scalars,
/// literal (`|`) and folded (`>`) block scalars, and one-line flow collections (`{a: b}`, `[a, b]`).
/// Anchors, aliases, tags and multiple documents are refused with their position.
public struct YAMLReader {
    struct Line {
        var number: Int
        var indent: Int
        var text: String
    }

    private var lines: [Line]
    private var index = 0

    /// The document in `text`.
    public static func parse(_ text: String) throws(YAMLError) -> YAMLNode {
        var reader = YAMLReader(lines: Self.lines(of: text))
        guard !reader.lines.isEmpty else { return .empty(SourcePosition(line: 1, column: 1)) }
        let node = try reader.block(indent: reader.lines[0].indent)
        if reader.index < reader.lines.count {
            let line = reader.lines[reader.index]
            throw YAMLError(
                position: SourcePosition(line: line.number, column: line.indent + 1), message: "unexpected indentation")
        }
        return node
    }

    private init(lines: [Line]) { self.lines = lines }

    /// Non-blank lines with comments removed; `---` and `...` document markers are dropped.
    private static func lines(of text: String) -> [Line] {
        var result: [Line] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = stripComment(String(raw.hasSuffix("\r") ? raw.dropLast() : raw[...]))
            let indent = content.prefix { $0 == " " }.count
            let body = String(content.dropFirst(indent))
            guard !body.allSatisfy(\.isWhitespace), body != "---", body != "..." else {
                // Blank lines still matter inside block scalars; keep them with no indentation.
                if body.allSatisfy(\.isWhitespace) { result.append(Line(number: offset + 1, indent: -1, text: "")) }
                continue
            }
            result.append(Line(number: offset + 1, indent: indent, text: body))
        }
        while result.last?.indent == -1 { result.removeLast() }
        while result.first?.indent == -1 { result.removeFirst() }
        return result
    }

    /// `text` without a `#` comment (one at the start or after a space, outside quotes).
    private static func stripComment(_ text: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (offset, character) in text.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" && (previous == " " || previous == "\t") {
                return String(text.prefix(offset)).trimmingTrailingSpaces()
            }
            previous = character
        }
        return text.trimmingTrailingSpaces()
    }

    private var current: Line? {
        var probe = index
        while probe < lines.count, lines[probe].indent == -1 { probe += 1 }
        return probe < lines.count ? lines[probe] : nil
    }

    private mutating func skipBlank() {
        while index < lines.count, lines[index].indent == -1 { index += 1 }
    }

    private func position(_ line: Line, column offset: Int = 0) -> SourcePosition {
        SourcePosition(line: line.number, column: line.indent + 1 + offset)
    }

    /// The node whose lines start at the current line, indented by `indent`.
    private mutating func block(indent: Int) throws(YAMLError) -> YAMLNode {
        skipBlank()
        guard let line = current else { return .empty(SourcePosition(line: lines.last?.number ?? 1, column: 1)) }
        if line.text == "-" || line.text.hasPrefix("- ") { return try sequence(indent: line.indent) }
        if Self.keySplit(line.text) != nil { return try mapping(indent: line.indent) }
        index += 1
        return .scalar(try scalar(line.text, at: position(line), continuationIndent: indent))
    }

    private mutating func sequence(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = position(current!)
        var items: [YAMLNode] = []
        while let line = current, line.indent == indent, line.text == "-" || line.text.hasPrefix("- ") {
            skipBlank()
            let rest = String(line.text.dropFirst(1).drop { $0 == " " })
            if rest.isEmpty {
                index += 1
                guard let next = current, next.indent > indent else {
                    items.append(.empty(position(line)))
                    continue
                }
                items.append(try block(indent: next.indent))
            } else {
                // `- key: value` starts a mapping whose keys line up with `key`: read this line as one of them.
                let offset = line.text.count - rest.count
                lines[index] = Line(number: line.number, indent: line.indent + offset, text: rest)
                items.append(try block(indent: line.indent + offset))
            }
        }
        return .sequence(items, start)
    }

    private mutating func mapping(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = position(current!)
        var entries: [(key: YAMLScalar, value: YAMLNode)] = []
        var seen: Set<String> = []
        while let line = current, line.indent == indent {
            skipBlank()
            guard let (keyText, rest, restOffset) = Self.keySplit(line.text) else {
                throw YAMLError(position: position(line), message: "expected 'key: value'")
            }
            let key = YAMLScalar(text: try Self.unquoted(keyText, at: position(line)), position: position(line))
            guard seen.insert(key.text).inserted else {
                throw YAMLError(position: key.position, message: "key '\(key.text)' appears twice in the same mapping")
            }
            index += 1
            let valuePosition = position(line, column: restOffset)
            let value: YAMLNode
            if rest.isEmpty {
                if let next = current, next.indent > indent {
                    value = try block(indent: next.indent)
                } else if let next = current, next.indent == indent, next.text == "-" || next.text.hasPrefix("- ") {
                    value = try sequence(indent: indent)
                } else {
                    value = .empty(valuePosition)
                }
            } else if rest.hasPrefix("|") || rest.hasPrefix(">") {
                value = .scalar(try blockScalar(indicator: rest, parentIndent: indent, at: valuePosition))
            } else if rest.hasPrefix("{") || rest.hasPrefix("[") {
                var flow = FlowReader(text: rest, line: line.number, column: valuePosition.column)
                value = try flow.read()
            } else {
                value = .scalar(try scalar(rest, at: valuePosition, continuationIndent: indent + 1))
            }
            entries.append((key, value))
        }
        return .mapping(entries, start)
    }

    /// A plain or quoted scalar; a plain one may continue on more-indented lines, folded with spaces.
    private mutating func scalar(_ text: String, at start: SourcePosition, continuationIndent: Int) throws(YAMLError)
        -> YAMLScalar
    {
        if let first = text.first, "&*!%@`".contains(first) {
            throw YAMLError(position: start, message: "anchors, aliases, tags and directives are not supported")
        }
        var result = YAMLScalar(text: try Self.unquoted(text, at: start), position: start)
        guard text.first != "\"" && text.first != "'" else { return result }
        while let line = current, line.indent >= continuationIndent {
            result.text += " "
            result.lineStarts.append((result.text.unicodeScalars.count, position(line)))
            result.text += line.text
            index += 1
        }
        return result
    }

    /// `|`, `|-`, `>`, `>-` (and `+` chomping): the more-indented lines that follow, kept or folded.
    private mutating func blockScalar(indicator: String, parentIndent: Int, at start: SourcePosition) throws(YAMLError)
        -> YAMLScalar
    {
        let folded = indicator.hasPrefix(">")
        let chomp = indicator.dropFirst()
        guard ["", "-", "+"].contains(String(chomp)) else {
            throw YAMLError(
                position: start, message: "block scalar indicators other than |, |-, |+, >, >-, >+ are not supported")
        }
        var body: [Line] = []
        var blockIndent: Int?
        while index < lines.count {
            let line = lines[index]
            if line.indent == -1 {
                body.append(line)
                index += 1
                continue
            }
            guard line.indent > parentIndent, line.indent >= (blockIndent ?? 0) else { break }
            if blockIndent == nil { blockIndent = line.indent }
            body.append(line)
            index += 1
        }
        while body.last?.indent == -1 { body.removeLast() }
        var result = YAMLScalar(text: "", position: body.first.map { position($0) } ?? start)
        for (offset, line) in body.enumerated() {
            let text = line.indent == -1 ? "" : String(repeating: " ", count: line.indent - blockIndent!) + line.text
            if offset > 0 {
                let previousBlank = body[offset - 1].indent == -1
                result.text += folded && !previousBlank && !text.isEmpty && !text.hasPrefix(" ") ? " " : "\n"
                result.lineStarts.append((result.text.unicodeScalars.count, position(line)))
            }
            result.text += text
        }
        if chomp != "-" && !result.text.isEmpty { result.text += "\n" }
        return result
    }

    /// `key`, the value text after `: `, and the value's column offset; `nil` unless the line is `key: …`.
    static func keySplit(_ text: String) -> (key: String, rest: String, restOffset: Int)? {
        var quote: Character?
        let characters = Array(text)
        for (offset, character) in characters.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            if offset == 0 && (character == "\"" || character == "'") {
                quote = character
                continue
            }
            if character == "{" || character == "[" { if offset == 0 { return nil } }
            if character == ":" && (offset + 1 == characters.count || characters[offset + 1] == " ") {
                let key = String(characters[..<offset]).trimmingTrailingSpaces()
                guard !key.isEmpty else { return nil }
                let after = characters[(offset + 1)...].drop { $0 == " " }
                return (key, String(after), characters.count - after.count)
            }
        }
        return nil
    }

    /// The value of a plain, `'single'` or `"double"` quoted scalar.
    static func unquoted(_ text: String, at position: SourcePosition) throws(YAMLError) -> String {
        if text.hasPrefix("'") {
            guard text.count >= 2, text.hasSuffix("'") else {
                throw YAMLError(position: position, message: "unterminated single-quoted string")
            }
            return String(text.dropFirst().dropLast()).replacingAll("''", with: "'")
        }
        guard text.hasPrefix("\"") else { return text }
        guard text.count >= 2, text.hasSuffix("\""), !text.hasSuffix("\\\"") || text.hasSuffix("\\\\\"") else {
            throw YAMLError(position: position, message: "unterminated double-quoted string")
        }
        var result = ""
        var characters = Array(text.dropFirst().dropLast()).makeIterator()
        while let character = characters.next() {
            guard character == "\\" else {
                result.append(character)
                continue
            }
            switch characters.next() {
            case "n": result += "\n"
            case "t": result += "\t"
            case "r": result += "\r"
            case "0": result += "\0"
            case "\"": result += "\""
            case "\\": result += "\\"
            case "/": result += "/"
            case "u":
                let hex = String((0..<4).compactMap { _ in characters.next() })
                guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                    throw YAMLError(position: position, message: "bad \\u escape")
                }
                result.unicodeScalars.append(scalar)
            case let other:
                throw YAMLError(position: position, message: "unknown escape '\\\(other.map(String.init) ?? "")'")
            }
        }
        return result
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " || copy.last == "\t" { copy.removeLast() }
        return copy
    }

    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
