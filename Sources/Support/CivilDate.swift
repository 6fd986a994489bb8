/// Proleptic Gregorian calendar dates as counts of days since 1970-01-01 (Howard Hinnant's algorithms),
/// without Foundation's calendar: for RFC 3339 times and for the daemon's own local time
/// (FoundationEssentials has no time zone data).
package struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var year: Int
    package var month: Int
    package var day: Int

    package init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (negative: before it).
    package init(days: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01.
    package var days: Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 0 for Sunday to 6 for Saturday.
    package var weekday: Int { Self.weekday(days: days) }

    /// 0 for Sunday to 6 for Saturday, of the day `days` after 1970-01-01 (a Thursday).
    package static func weekday(days: Int) -> Int { ((days % 7) + 7 + 4) % 7 }

    package static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    package static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    package static func < (left: CivilDate, right: CivilDate) -> Bool { left.days < right.days }

    package var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))"
    }
}

/// A local date and time to the second, as seconds since 1970-01-01 00:00 of the local clock.
package struct LocalTime: Sendable, Hashable, Comparable {
    package var seconds: Int64

    package init(seconds: Int64) { self.seconds = seconds }

    package init(date: CivilDate, hour: Int, minute: Int, second: Int = 0) {
        seconds = Int64(date.days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    package var date: CivilDate { CivilDate(days: Int(seconds.floorDivided(by: 86_400))) }
    package var secondOfDay: Int { Int(seconds - seconds.floorDivided(by: 86_400) * 86_400) }
    package var hour: Int { secondOfDay / 3600 }
    package var minute: Int { secondOfDay % 3600 / 60 }

    package static func < (left: LocalTime, right: LocalTime) -> Bool { left.seconds < right.seconds }
}

extension Int64 {
    /// Division rounding towards negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
