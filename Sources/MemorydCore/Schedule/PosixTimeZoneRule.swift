import Jobkit
import JobkitSupport

/// A POSIX `TZ` rule such as `CET-1CEST,M3.5.0,M10.5.0/3`: what a zoneinfo file's footer says of every
/// time after its last transition, and what `TZ` may hold directly.
package struct PosixTimeZoneRule: Sendable, Hashable {
    /// Seconds east of UTC in standard time (POSIX writes them west: `CET-1` is +3600).
    package var standardOffset: Int
    /// Seconds east of UTC in daylight time, and when it starts and ends; `nil` without daylight time.
    package var daylight: Daylight?

    package struct Daylight: Sendable, Hashable {
        package var offset: Int
        package var start: Change
        package var end: Change
    }

    /// A day of the year and a local time on it: when daylight time starts (in standard time) or ends
    /// (in daylight time).
    package struct Change: Sendable, Hashable {
        package enum Day: Sendable, Hashable {
            /// `Jn`: day 1...365, February 29 never counted.
            case julianWithoutLeapDay(Int)
            /// `n`: day 0...365, February 29 counted.
            case zeroBasedDayOfYear(Int)
            /// `Mm.w.d`: weekday `d` (0 Sunday) of week `w` (5: the last) of month `m`.
            case monthWeekDay(month: Int, week: Int, weekday: Int)
        }

        package var day: Day
        /// Seconds after local midnight; may be negative or past 24 h (RFC 8536 §3.3.1).
        package var time: Int
    }

    /// What POSIX assumes when a zone with daylight time gives no rule: the US rule since 2007.
    static let defaultChanges = (
        start: Change(day: .monthWeekDay(month: 3, week: 2, weekday: 0), time: 7200),
        end: Change(day: .monthWeekDay(month: 11, week: 1, weekday: 0), time: 7200)
    )

    /// Parses `text`; `nil` when it is not a POSIX TZ rule.
    package init?(_ text: String) {
        var scanner = Scanner(Array(text.utf8))
        guard scanner.name() != nil, let standard = scanner.offset() else { return nil }
        standardOffset = -standard
        guard !scanner.atEnd else { return }
        guard scanner.name() != nil else { return nil }
        var daylightOffset = standardOffset + 3600
        if let explicit = scanner.offset() { daylightOffset = -explicit }
        var changes = Self.defaultChanges
        if scanner.take(UInt8(ascii: ",")) {
            guard let start = scanner.change(), scanner.take(UInt8(ascii: ",")), let end = scanner.change() else {
                return nil
            }
            changes = (start, end)
        }
        guard scanner.atEnd else { return nil }
        daylight = Daylight(offset: daylightOffset, start: changes.start, end: changes.end)
    }

    /// Seconds east of UTC at `instant` (seconds since the epoch, UTC).
    package func offset(at instant: Int64) -> Int {
        guard let daylight else { return standardOffset }
        let year = LocalTime(seconds: instant + Int64(standardOffset)).date.year
        let starts = Self.instant(of: daylight.start, year: year) - Int64(standardOffset)
        let ends = Self.instant(of: daylight.end, year: year) - Int64(daylight.offset)
        let inDaylight = starts < ends ? (instant >= starts && instant < ends) : !(instant >= ends && instant < starts)
        return inDaylight ? daylight.offset : standardOffset
    }

    /// The local seconds since the epoch at which `change` happens in `year`.
    static func instant(of change: Change, year: Int) -> Int64 {
        let firstOfYear = CivilDate(year: year, month: 1, day: 1).days
        let day: Int
        switch change.day {
        case .julianWithoutLeapDay(let number):
            day = firstOfYear + number - 1 + (CivilDate.isLeapYear(year) && number >= 60 ? 1 : 0)
        case .zeroBasedDayOfYear(let number):
            day = firstOfYear + number
        case .monthWeekDay(let month, let week, let weekday):
            let first = CivilDate(year: year, month: month, day: 1).days
            var candidate = first + (weekday - CivilDate.weekday(days: first) + 7) % 7 + (week - 1) * 7
            let last = first + CivilDate.daysInMonth(year: year, month: month) - 1
            while candidate > last { candidate -= 7 }
            day = candidate
        }
        return Int64(day) * 86_400 + Int64(change.time)
    }

    /// Reads the pieces of a TZ rule.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// `CET`, or a quoted `<+0330>`.
        mutating func name() -> String? {
            let start = index
            if take(UInt8(ascii: "<")) {
                while index < bytes.count, bytes[index] != UInt8(ascii: ">") { index += 1 }
                guard take(UInt8(ascii: ">")) else { return nil }
                return String(decoding: bytes[(start + 1)..<(index - 1)], as: UTF8.self)
            }
            while index < bytes.count, (bytes[index] | 0x20) >= UInt8(ascii: "a"), (bytes[index] | 0x20) <= UInt8(ascii: "z") {
                index += 1
            }
            return index - start >= 3 ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        mutating func number() -> Int? {
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"),
                index - start < 6
            {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            return index > start ? value : nil
        }

        /// `[+-]hh[:mm[:ss]]` in seconds, as written (west positive).
        mutating func offset() -> Int? {
            let sign = take(UInt8(ascii: "-")) ? -1 : (take(UInt8(ascii: "+")) ? 1 : 1)
            guard let hours = number() else { return nil }
            var seconds = hours * 3600
            if take(UInt8(ascii: ":")) {
                guard let minutes = number() else { return nil }
                seconds += minutes * 60
                if take(UInt8(ascii: ":")) {
                    guard let rest = number() else { return nil }
                    seconds += rest
                }
            }
            return sign * seconds
        }

        mutating func change() -> Change? {
            let day: Change.Day
            if take(UInt8(ascii: "M")) {
                guard let month = number(), (1...12).contains(month), take(UInt8(ascii: ".")),
                    let week = number(), (1...5).contains(week), take(UInt8(ascii: ".")),
                    let weekday = number(), (0...6).contains(weekday)
                else { return nil }
                day = .monthWeekDay(month: month, week: week, weekday: weekday)
            } else if take(UInt8(ascii: "J")) {
                guard let number = number(), (1...365).contains(number) else { return nil }
                day = .julianWithoutLeapDay(number)
            } else {
                guard let number = number(), (0...365).contains(number) else { return nil }
                day = .zeroBasedDayOfYear(number)
            }
            var time = 7200
            if take(UInt8(ascii: "/")) {
                guard let written = offset() else { return nil }
                time = written
            }
            return Change(day: day, time: time)
        }
    }
}
