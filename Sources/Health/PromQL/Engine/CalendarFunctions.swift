import Jobkit
import JobkitSupport

/// `year()`, `month()`, `day_of_week()` and the other date functions: parts of a Unix time in UTC.
enum CalendarFunctions {
    static func evaluate(_ function: PromQLFunction, seconds: Double) -> Double {
        guard seconds.isFinite, Swift.abs(seconds) < 1e15 else { return .nan }
        // Go truncates towards zero: time.Unix(int64(v), 0).
        let time = LocalTime(seconds: Int64(seconds))
        let date = time.date
        switch function {
        case .year: return Double(date.year)
        case .month: return Double(date.month)
        case .day_of_month: return Double(date.day)
        case .day_of_week: return Double(date.weekday)
        case .day_of_year: return Double(date.days - CivilDate(year: date.year, month: 1, day: 1).days + 1)
        case .days_in_month: return Double(CivilDate.daysInMonth(year: date.year, month: date.month))
        case .hour: return Double(time.hour)
        case .minute: return Double(time.minute)
        default: return .nan
        }
    }
}
