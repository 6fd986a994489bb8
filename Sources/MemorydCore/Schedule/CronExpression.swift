import Jobkit
import JobkitSupport

/// A cron schedule as cron(5) reads one: five fields, minute hour day-of-month month day-of-week, each
/// `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, or a list of those; month and weekday names
/// (`JAN`, `MON-FRI`); 0 and 7 both Sunday; or one of `@yearly` `@annually` `@monthly` `@weekly`
/// `@daily` `@midnight` `@hourly`.
///
/// As in cron, a day matches when the day of month and the weekday both match, or, when neither field
/// starts with `*`, when either does (`0 0 1,15 * MON` runs on the 1st, the 15th and every Monday).
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written.
    public let text: String
    /// Bit n set: value n is in the field.
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let weekdays: UInt64
    /// Whether each field starts with `*` (cron's rules for days and for clock changes use this).
    let dayOfMonthIsStar: Bool
    let weekdayIsStar: Bool
    /// Both minute and hour are fixed: the job names a time of day, which a clock change does not skip
    /// or repeat.
    let isTimeOfDay: Bool

    /// A mistake in an expression: what and where (1-based column in the expression).
    public struct SyntaxError: Error, CustomStringConvertible, Sendable {
        public var column: Int
        public var message: String
        public var description: String { "column \(column): \(message)" }
    }

    static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let weekdayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// The fields in order: name, smallest and largest value, names for values from the smallest.
    static let fields: [(name: String, range: ClosedRange<Int>, names: [String])] = [
        ("minute", 0...59, []), ("hour", 0...23, []), ("day of month", 1...31, []), ("month", 1...12, monthNames),
        ("day of week", 0...7, weekdayNames),
    ]

    /// Parses `text`.
    ///
    /// - Throws: ``SyntaxError`` with the column of the mistake and what is allowed there.
    public init(_ text: String) throws(SyntaxError) {
        let trimmed = text.trimmingWhitespaceForCron()
        if trimmed.hasPrefix("@") {
            guard let expansion = Self.macros[trimmed.lowercased()] else {
                throw SyntaxError(
                    column: 1,
                    message: "'\(trimmed)' is not a cron macro; use one of "
                        + Self.macros.keys.sorted().joined(separator: ", "))
            }
            try self.init(fields: Self.split(expansion), text: text)
            return
        }
        let fields = Self.split(text)
        guard fields.count == 5 else {
            throw SyntaxError(
                column: fields.count > 5 ? fields[5].column : max(1, text.count),
                message: "a cron schedule has 5 fields (minute hour day-of-month month day-of-week), not \(fields.count)")
        }
        try self.init(fields: fields, text: text)
    }

    private init(fields: [(text: Substring, column: Int)], text: String) throws(SyntaxError) {
        self.text = text
        var masks: [UInt64] = []
        for (index, field) in fields.enumerated() {
            masks.append(try Self.parse(field.text, column: field.column, field: Self.fields[index]))
        }
        minutes = masks[0]
        hours = masks[1]
        daysOfMonth = masks[2]
        months = masks[3]
        // 7 is Sunday too.
        weekdays = (masks[4] | (masks[4] >> 7)) & 0x7F
        dayOfMonthIsStar = fields[2].text.hasPrefix("*")
        weekdayIsStar = fields[4].text.hasPrefix("*")
        isTimeOfDay = !fields[0].text.contains("*") && !fields[1].text.contains("*")
            && masks[0].nonzeroBitCount == 1 && masks[1].nonzeroBitCount == 1
    }

    public var description: String { text }

    /// Whether the expression runs on `date` (any time of it).
    func matches(_ date: CivilDate) -> Bool {
        guard months & (1 << UInt64(date.month)) != 0 else { return false }
        let dayMatches = daysOfMonth & (1 << UInt64(date.day)) != 0
        let weekdayMatches = weekdays & (1 << UInt64(date.weekday)) != 0
        if dayOfMonthIsStar || weekdayIsStar { return dayMatches && weekdayMatches }
        return dayMatches || weekdayMatches
    }

    /// The fields of `text` with their 1-based columns.
    static func split(_ text: String) -> [(text: Substring, column: Int)] {
        var fields: [(Substring, Int)] = []
        var index = text.startIndex
        var column = 1
        while index < text.endIndex {
            if text[index] == " " || text[index] == "\t" {
                index = text.index(after: index)
                column += 1
                continue
            }
            let start = index
            let startColumn = column
            while index < text.endIndex, text[index] != " ", text[index] != "\t" {
                index = text.index(after: index)
                column += 1
            }
            fields.append((text[start..<index], startColumn))
        }
        return fields
    }

    /// One field: a comma-separated list of `*`, values, ranges and steps.
    static func parse(
        _ text: Substring, column: Int, field: (name: String, range: ClosedRange<Int>, names: [String])
    ) throws(SyntaxError) -> UInt64 {
        var mask: UInt64 = 0
        var itemColumn = column
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            defer { itemColumn += item.count + 1 }
            guard !item.isEmpty else { throw SyntaxError(column: itemColumn, message: "empty item in the \(field.name) list") }
            var body = item
            var step = 1
            if let slash = item.firstIndex(of: "/") {
                body = item[..<slash]
                let stepText = item[item.index(after: slash)...]
                guard let value = Int(stepText), value > 0 else {
                    throw SyntaxError(
                        column: itemColumn + body.count + 1, message: "'\(stepText)' is not a step; write a whole number above 0")
                }
                step = value
            }
            var low = field.range.lowerBound
            var high = field.range.upperBound
            if body != "*" {
                let parts = body.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                low = try value(parts[0], column: itemColumn, field: field)
                high = low
                if parts.count == 2 {
                    high = try value(parts[1], column: itemColumn + parts[0].count + 1, field: field)
                    guard low <= high else {
                        throw SyntaxError(
                            column: itemColumn, message: "the \(field.name) range \(body) runs backwards; write \(parts[1])-\(parts[0])")
                    }
                } else if step > 1 {
                    throw SyntaxError(
                        column: itemColumn, message: "a step needs a range: write \(body)-\(field.range.upperBound)/\(step) or */\(step)")
                }
            }
            for value in stride(from: low, through: high, by: step) { mask |= 1 << UInt64(value) }
        }
        return mask
    }

    /// A number or a name in `field`'s range.
    static func value(
        _ text: Substring, column: Int, field: (name: String, range: ClosedRange<Int>, names: [String])
    ) throws(SyntaxError) -> Int {
        if let number = Int(text) {
            guard field.range.contains(number) else {
                throw SyntaxError(
                    column: column,
                    message: "\(number) is out of range for the \(field.name); use \(field.range.lowerBound)-\(field.range.upperBound)")
            }
            return number
        }
        if let index = field.names.firstIndex(of: text.uppercased()) { return index + field.range.lowerBound }
        let names = field.names.isEmpty ? "" : " or \(field.names.first!)-\(field.names.last!)"
        throw SyntaxError(
            column: column,
            message: "'\(text)' is not a value of the \(field.name); use \(field.range.lowerBound)-\(field.range.upperBound)\(names)")
    }
}

extension String {
    fileprivate func trimmingWhitespaceForCron() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
