import Jobkit
import JobkitSupport

extension CronExpression {
    /// How far ahead the next fire time is looked for: 28 years hold every combination of weekday and
    /// leap day the Gregorian calendar repeats between 1901 and 2099.
    static let searchDays = 28 * 366

    /// The first instant after `instant` (seconds since the epoch) at which the expression fires in
    /// `zone`, or `nil` when it never does (`0 0 30 2 *`).
    ///
    /// Clock changes are handled as cron does: a time of day (fixed minute and hour) skipped when the
    /// clock jumps forward fires at the jump, and one the clock passes twice fires the first time only;
    /// other expressions follow the clock, so `0 * * * *` fires twice in a repeated hour and not at all
    /// in a skipped one.
    package func nextFire(after instant: Int64, in zone: ZoneInfo) -> Int64? {
        // A local time before the current one may still be ahead: the second pass of a repeated hour.
        let lookback = max(0, zone.offset(at: instant - 136_800) - zone.offset(at: instant))
        let start = LocalTime(seconds: zone.localTime(at: instant).seconds - Int64(lookback))
        var best: Int64?
        var day = start.date.days
        let lastDay = day + Self.searchDays
        while day <= lastDay {
            defer { day += 1 }
            let date = CivilDate(days: day)
            guard matches(date) else { continue }
            for hour in 0..<24 where hours & (1 << UInt64(hour)) != 0 {
                for minute in 0..<60 where minutes & (1 << UInt64(minute)) != 0 {
                    let local = LocalTime(date: date, hour: hour, minute: minute)
                    guard local >= start else { continue }
                    // No later local time can stand for an earlier instant than this.
                    if let found = best, local.seconds - Int64(maximumOffset(near: found, in: zone)) > found {
                        return found
                    }
                    for candidate in instants(of: local, in: zone) where candidate > instant {
                        best = min(best ?? candidate, candidate)
                    }
                }
            }
        }
        return best
    }

    /// When `local` fires: its instants, or the jump over it, by the rules of ``nextFire(after:in:)``.
    func instants(of local: LocalTime, in zone: ZoneInfo) -> [Int64] {
        switch zone.resolve(local) {
        case .instants(let instants): isTimeOfDay ? Array(instants.prefix(1)) : instants
        case .skipped(let jump): isTimeOfDay ? [jump] : []
        }
    }

    func maximumOffset(near instant: Int64, in zone: ZoneInfo) -> Int {
        max(zone.offset(at: instant - 136_800), zone.offset(at: instant), zone.offset(at: instant + 136_800))
    }

    /// Whether the expression ever fires.
    package var everFires: Bool { nextFire(after: 0, in: .utc) != nil }
}
