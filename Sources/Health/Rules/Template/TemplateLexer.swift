/// A token of Go's text/template language.
struct TemplateToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case leftDelimiter, rightDelimiter
        case identifier(String)
        case keyword(String)
        /// `.Name`, written straight after `.`, a variable or `)`.
        case field(String)
        /// `$name` or `$`.
        case variable(String)
        case dot
        case string(String)
        case number(String)
        case bool(Bool)
        case `nil`
        case pipe, leftParen, rightParen, declare, assign, comma
        case end
    }

    var kind: Kind
    /// Byte offset of the token in the template source.
    var offset: Int
    /// Whether white space precedes the token inside an action (so a `.Field` after it starts a new operand).
    var spaceBefore = false
}

/// A template that Go's parser would refuse, with the line it is on.
struct TemplateSyntaxError: Error, Sendable {
    var line: Int
    var message: String
}

/// Splits a template into text and action tokens as Go's text/template lexer does: `{{`/`}}` with `-`
/// trim markers, `/* */` comments, Go string, raw string, character and number literals.
struct TemplateLexer {
    private static let keywords: Set<String> = [
        "block", "break", "continue", "define", "else", "end", "if", "range", "template", "with",
    ]
    private let bytes: [UInt8]
    private var index = 0
    private(set) var tokens: [TemplateToken] = []

    static func tokens(_ source: String) throws(TemplateSyntaxError) -> [TemplateToken] {
        var lexer = TemplateLexer(bytes: Array(source.utf8))
        try lexer.run()
        return lexer.tokens
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    func line(at offset: Int) -> Int { Self.line(at: offset, in: bytes) }

    /// The 1-based line of byte `offset` of `bytes`.
    static func line(at offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes[..<min(offset, bytes.count)].count { $0 == UInt8(ascii: "\n") }
    }

    private func fail(_ offset: Int, _ message: String) -> TemplateSyntaxError {
        TemplateSyntaxError(line: line(at: offset), message: message)
    }

    private func starts(_ text: String, at offset: Int) -> Bool {
        let pattern = Array(text.utf8)
        return offset + pattern.count <= bytes.count && Array(bytes[offset..<offset + pattern.count]) == pattern
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    private mutating func run() throws(TemplateSyntaxError) {
        var trimNextText = false
        while index < bytes.count {
            var textEnd = index
            while textEnd < bytes.count && !starts("{{", at: textEnd) { textEnd += 1 }
            var textStart = index
            if trimNextText { while textStart < textEnd && Self.isSpace(bytes[textStart]) { textStart += 1 } }
            guard textEnd < bytes.count else {
                emitText(textStart, bytes.count)
                return
            }
            let open = textEnd
            var inner = open + 2
            let trimsBefore =
                inner + 1 < bytes.count && bytes[inner] == UInt8(ascii: "-") && Self.isSpace(bytes[inner + 1])
            var cutEnd = textEnd
            if trimsBefore {
                while cutEnd > textStart && Self.isSpace(bytes[cutEnd - 1]) { cutEnd -= 1 }
                inner += 2
            }
            emitText(textStart, cutEnd)
            index = inner
            if starts("/*", at: index) {
                trimNextText = try comment(from: open)
                continue
            }
            tokens.append(TemplateToken(kind: .leftDelimiter, offset: open))
            trimNextText = try action(from: open)
        }
    }

    private mutating func emitText(_ start: Int, _ end: Int) {
        guard start < end else { return }
        tokens.append(TemplateToken(kind: .text(String(decoding: bytes[start..<end], as: UTF8.self)), offset: start))
    }

    /// Whether a right delimiter starts at `index`, and whether it trims (` -}}`).
    private func rightDelimiter() -> (found: Bool, trims: Bool, length: Int) {
        if index + 3 < bytes.count && Self.isSpace(bytes[index]) && bytes[index + 1] == UInt8(ascii: "-")
            && starts("}}", at: index + 2)
        {
            return (true, true, 4)
        }
        return (starts("}}", at: index), false, 2)
    }

    private mutating func comment(from open: Int) throws(TemplateSyntaxError) -> Bool {
        var end = index + 2
        while end + 1 < bytes.count && !starts("*/", at: end) { end += 1 }
        guard end + 1 < bytes.count else { throw fail(open, "unclosed comment") }
        index = end + 2
        let close = rightDelimiter()
        guard close.found else { throw fail(open, "comment ends before closing delimiter") }
        index += close.length
        return close.trims
    }

    /// The tokens of one action; whether it trims the text after it.
    private mutating func action(from open: Int) throws(TemplateSyntaxError) -> Bool {
        var parenDepth = 0
        while true {
            let close = rightDelimiter()
            if close.found && parenDepth > 0 { throw fail(open, "unclosed left paren") }
            if close.found {
                tokens.append(TemplateToken(kind: .rightDelimiter, offset: index))
                index += close.length
                return close.trims
            }
            guard index < bytes.count else { throw fail(open, "unclosed action") }
            let byte = bytes[index]
            if Self.isSpace(byte) {
                if byte == 0x0A || byte == 0x0D, parenDepth == 0 { throw fail(open, "unclosed action") }
                index += 1
                markSpace()
                continue
            }
            let start = index
            switch byte {
            case UInt8(ascii: "|"): add(.pipe, start, length: 1)
            case UInt8(ascii: "("):
                parenDepth += 1
                add(.leftParen, start, length: 1)
            case UInt8(ascii: ")"):
                // One too many is the parser's to report (`unexpected ")" in command`), as in Go, where the
                // parser meets the token before the lexer's own complaint.
                parenDepth = max(0, parenDepth - 1)
                add(.rightParen, start, length: 1)
            case UInt8(ascii: ","): add(.comma, start, length: 1)
            case UInt8(ascii: "="): add(.assign, start, length: 1)
            case UInt8(ascii: ":"):
                guard starts(":=", at: start) else { throw fail(start, "expected :=") }
                add(.declare, start, length: 2)
            case UInt8(ascii: "\""), UInt8(ascii: "`"): try quoted(start)
            case UInt8(ascii: "'"): try character(start)
            case UInt8(ascii: "$"):
                index += 1
                add(.variable("$" + word()), start, length: 0)
            case UInt8(ascii: "."):
                if index + 1 < bytes.count, Self.isDigit(bytes[index + 1]) {
                    try number(start)
                    break
                }
                index += 1
                let name = word()
                add(name.isEmpty ? .dot : .field(name), start, length: 0)
            default:
                if Self.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") {
                    try number(start)
                } else if Self.isWordByte(byte) {
                    let name = word()
                    let kind: TemplateToken.Kind =
                        switch name {
                        case "true": .bool(true)
                        case "false": .bool(false)
                        case "nil": .nil
                        default: Self.keywords.contains(name) ? .keyword(name) : .identifier(name)
                        }
                    add(kind, start, length: 0)
                } else {
                    let scalar = String(decoding: bytes[start..<min(start + 1, bytes.count)], as: UTF8.self)
                    throw fail(start, "unrecognized character in action: \(scalar)")
                }
            }
        }
    }

    private var pendingSpace = false

    private mutating func markSpace() { pendingSpace = true }

    private mutating func add(_ kind: TemplateToken.Kind, _ start: Int, length: Int) {
        index += length
        tokens.append(TemplateToken(kind: kind, offset: start, spaceBefore: pendingSpace))
        pendingSpace = false
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || isDigit(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte >= 0x80
    }

    private mutating func word() -> String {
        let start = index
        while index < bytes.count && Self.isWordByte(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func number(_ start: Int) throws(TemplateSyntaxError) {
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            let afterExponent =
                (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-"))
                && [UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "p"), UInt8(ascii: "P")].contains(bytes[index - 1])
            guard Self.isWordByte(byte) || byte == UInt8(ascii: ".") || afterExponent else { break }
            index += 1
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard TemplateNumber(text) != nil else { throw fail(start, "bad number syntax: \"\(text)\"") }
        add(.number(text), start, length: 0)
    }

    private mutating func quoted(_ start: Int) throws(TemplateSyntaxError) {
        let quote = bytes[start]
        index += 1
        var raw: [UInt8] = []
        while true {
            guard index < bytes.count, quote == UInt8(ascii: "`") || bytes[index] != 0x0A else {
                throw fail(start, quote == UInt8(ascii: "`") ? "unterminated raw quoted string" : "unterminated quoted string")
            }
            let byte = bytes[index]
            index += 1
            if byte == quote { break }
            raw.append(byte)
            if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") && index < bytes.count {
                raw.append(bytes[index])
                index += 1
            }
        }
        let body = String(decoding: raw, as: UTF8.self)
        if quote == UInt8(ascii: "`") {
            add(.string(body), start, length: 0)
            return
        }
        guard let value = GoStringLiteral.unquote(body) else {
            throw fail(start, "invalid syntax")
        }
        add(.string(value), start, length: 0)
    }

    private mutating func character(_ start: Int) throws(TemplateSyntaxError) {
        index += 1
        var raw: [UInt8] = []
        while index < bytes.count && bytes[index] != UInt8(ascii: "'") {
            if bytes[index] == UInt8(ascii: "\\") { raw.append(bytes[index]); index += 1 }
            guard index < bytes.count else { break }
            raw.append(bytes[index])
            index += 1
        }
        guard index < bytes.count, let value = GoStringLiteral.unquote(String(decoding: raw, as: UTF8.self)),
            value.unicodeScalars.count == 1, let scalar = value.unicodeScalars.first
        else { throw fail(start, "unterminated character constant") }
        index += 1
        add(.number(String(scalar.value)), start, length: 0)
    }
}
