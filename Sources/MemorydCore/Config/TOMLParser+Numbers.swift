/// TOML's integers (decimal, `0x`, `0o`, `0b`, with `_` between digits), floats (`inf`, `nan`) and
/// dates and times, each checked against TOML 1.0's grammar before it is converted.
extension TOMLParser {
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// Digits of `radix` with single underscores between them: `1_000`, not `_1`, `1_`, `1__0`.
    private static func isDigitRun(_ text: Substring, radix: Int) -> Bool {
        guard let first = text.first, let last = text.last, first != "_", last != "_", !text.contains("__") else {
            return false
        }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && $0.hexDigitValue.map { $0 < radix } == true) }
    }

    mutating func parseNumber() throws(ConfigError) -> TOMLValue {
        let start = location
        let text = takeWhile { $0.isBareKeyCharacter || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".") }
        guard !text.isEmpty else { throw ConfigError(start, "expected a value, found \(describeNext())") }
        if let kind = try Self.number(text, at: start) { return TOMLValue(kind: kind, location: start) }
        throw ConfigError(start, "'\(text)' is not a valid value (strings need quotes)")
    }

    /// The integer or float `text` spells, `nil` if it is no number; throws for an integer out of range.
    private static func number(_ text: String, at start: SourceLocation) throws(ConfigError) -> TOMLValue.Kind? {
        var body = Substring(text)
        var sign: Character?
        if let first = body.first, first == "+" || first == "-" {
            sign = first
            body = body.dropFirst()
        }
        switch body {
        case "inf": return .float(sign == "-" ? -.infinity : .infinity)
        case "nan": return .float(.nan)
        default: break
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            let digits = body.dropFirst(2)
            guard sign == nil, isDigitRun(digits, radix: radix) else { return nil }
            guard let value = Int64(digits.filter { $0 != "_" }, radix: radix) else {
                throw ConfigError(start, "'\(text)' is out of range for a 64-bit integer")
            }
            return .integer(value)
        }
        let exponentAt = body.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = exponentAt.map { body[..<$0] } ?? body
        let pointAt = mantissa.firstIndex(of: ".")
        let whole = pointAt.map { mantissa[..<$0] } ?? mantissa
        // The integer part: digits without a leading zero (but "0" itself).
        guard isDigitRun(whole, radix: 10), whole == "0" || !whole.hasPrefix("0") else { return nil }
        if let pointAt, !isDigitRun(mantissa[mantissa.index(after: pointAt)...], radix: 10) { return nil }
        if let exponentAt {
            var exponent = body[body.index(after: exponentAt)...]
            if let first = exponent.first, first == "+" || first == "-" { exponent = exponent.dropFirst() }
            guard isDigitRun(exponent, radix: 10) else { return nil }
        }
        let plain = text.filter { $0 != "_" }
        if pointAt == nil && exponentAt == nil {
            guard let value = Int64(plain) else {
                throw ConfigError(start, "'\(text)' is out of range for a 64-bit integer")
            }
            return .integer(value)
        }
        guard let value = Double(plain) else { return nil }
        return .float(value)
    }

    // MARK: - Dates and times

    /// Whether the bytes from `offset` are `count` ASCII digits.
    private func digits(at offset: Int, _ count: Int) -> Int? {
        guard offset + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[offset..<offset + count] {
            guard Self.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// A date, time or date-time starting here (`nil`, consuming nothing, if none starts here).
    mutating func parseDateTime() throws(ConfigError) -> TOMLDateTime? {
        let start = location
        let startsDate = digits(at: index, 4) != nil && index + 4 < bytes.count && bytes[index + 4] == UInt8(ascii: "-")
        let startsTime = digits(at: index, 2) != nil && index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: ":")
        guard startsDate || startsTime else { return nil }
        func fail(_ message: String) -> ConfigError { ConfigError(start, message) }
        var text = ""
        var form = TOMLDateTime.Form.localTime
        var cursor = index
        if startsDate {
            guard let year = digits(at: cursor, 4), bytes.count > cursor + 9, bytes[cursor + 4] == UInt8(ascii: "-"),
                let month = digits(at: cursor + 5, 2), bytes[cursor + 7] == UInt8(ascii: "-"),
                let day = digits(at: cursor + 8, 2)
            else { throw fail("a date is YYYY-MM-DD") }
            guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else {
                throw fail("\(String(decoding: bytes[cursor..<cursor + 10], as: UTF8.self)) is not a date")
            }
            text = String(decoding: bytes[cursor..<cursor + 10], as: UTF8.self)
            cursor += 10
            form = .localDate
            let separator = cursor < bytes.count ? bytes[cursor] : 0
            let timeFollows =
                [UInt8(ascii: "T"), UInt8(ascii: "t")].contains(separator)
                || (separator == UInt8(ascii: " ") && digits(at: cursor + 1, 2) != nil)
            guard timeFollows else {
                try finish(at: cursor, start)
                return TOMLDateTime(form: form, text: text)
            }
            cursor += 1
            text += "T"
            form = .localDateTime
        }
        guard let hour = digits(at: cursor, 2), cursor + 8 <= bytes.count, bytes[cursor + 2] == UInt8(ascii: ":"),
            let minute = digits(at: cursor + 3, 2), bytes[cursor + 5] == UInt8(ascii: ":"),
            let second = digits(at: cursor + 6, 2)
        else {
            throw fail(
                "a time is HH:MM:SS, with an optional fraction (quote a time of day or a duration: \"03:00\", \"30s\")")
        }
        guard hour < 24, minute < 60, second <= 60 else { throw fail("the time is out of range") }
        text += String(decoding: bytes[cursor..<cursor + 8], as: UTF8.self)
        cursor += 8
        if cursor < bytes.count && bytes[cursor] == UInt8(ascii: ".") {
            var end = cursor + 1
            while end < bytes.count && Self.isDigit(bytes[end]) { end += 1 }
            guard end > cursor + 1 else { throw fail("a fraction of a second needs digits after '.'") }
            var fraction = String(decoding: bytes[cursor + 1..<end], as: UTF8.self)
            if fraction.count < 3 { fraction += String(repeating: "0", count: 3 - fraction.count) }
            text += "." + fraction
            cursor = end
        }
        if startsDate, cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "Z") || byte == UInt8(ascii: "z") {
                text += "Z"
                cursor += 1
                form = .offsetDateTime
            } else if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                guard let offsetHour = digits(at: cursor + 1, 2), cursor + 6 <= bytes.count,
                    bytes[cursor + 3] == UInt8(ascii: ":"), let offsetMinute = digits(at: cursor + 4, 2),
                    offsetHour < 24, offsetMinute < 60
                else { throw fail("a time offset is Z or ±HH:MM") }
                text += String(decoding: bytes[cursor..<cursor + 6], as: UTF8.self)
                cursor += 6
                form = .offsetDateTime
            }
        }
        try finish(at: cursor, start)
        return TOMLDateTime(form: form, text: text)
    }

    /// Moves past a date-time that ends at `end`, which must be followed by the end of the value.
    private mutating func finish(at end: Int, _ start: SourceLocation) throws(ConfigError) {
        if end < bytes.count {
            let next = bytes[end]
            let ends: [UInt8] = [
                UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"),
                UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"),
            ]
            guard ends.contains(next) else {
                throw ConfigError(start, "unexpected '\(Character(Unicode.Scalar(next)))' after a date or time")
            }
        }
        while index < end { advance() }
    }
}
