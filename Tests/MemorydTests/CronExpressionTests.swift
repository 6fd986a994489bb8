import Foundation
import Jobkit
import JobkitSupport
import Testing

@testable import MemorydCore

/// Cron expressions as cron(5) reads them, their next fire times against systemd's calendar for the
/// same schedules, and clock changes as cron(8) handles them.
struct CronExpressionTests {
    /// Seconds since the epoch of a UTC date and time.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int) -> Int64 {
        LocalTime(date: CivilDate(year: year, month: month, day: day), hour: hour, minute: minute).seconds
    }

    @Test(arguments: [
        ("* * * *", 7, "a cron schedule has 5 fields"),
        ("0 0 * * * extra", 11, "a cron schedule has 5 fields"),
        ("60 * * * *", 1, "60 is out of range for the minute; use 0-59"),
        ("0 24 * * *", 3, "24 is out of range for the hour; use 0-23"),
        ("0 0 0 * *", 5, "0 is out of range for the day of month; use 1-31"),
        ("0 0 * FOO *", 7, "'FOO' is not a value of the month; use 1-12 or JAN-DEC"),
        ("0 0 * * MON-FUN", 13, "'FUN' is not a value of the day of week; use 0-7 or SUN-SAT"),
        ("*/0 * * * *", 3, "'0' is not a step"),
        ("0 17-9 * * *", 3, "the hour range 17-9 runs backwards"),
        ("5/15 * * * *", 1, "a step needs a range"),
        ("0,,5 * * * *", 3, "empty item in the minute list"),
        ("@fortnightly", 1, "'@fortnightly' is not a cron macro"),
    ])
    func mistakesNameTheirColumn(text: String, column: Int, message: String) {
        do {
            _ = try CronExpression(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.column == column, "\(text): \(error)")
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    @Test func macrosNamesListsAndStepsReadAsCronReadsThem() throws {
        let berlin = try ZoneInfo.load("Europe/Berlin")
        let weekdays = try CronExpression("*/20 9-10 * * mon-FRI")
        // Friday 2026-12-04 10:50 UTC is 11:50 in Berlin: next is Monday 09:00 Berlin, 08:00 UTC.
        #expect(weekdays.nextFire(after: Self.utc(2026, 12, 4, 10, 50), in: berlin) == Self.utc(2026, 12, 7, 8, 0))
        #expect(try CronExpression("@weekly").nextFire(after: Self.utc(2026, 12, 2, 0, 0), in: .utc) == Self.utc(2026, 12, 6, 0, 0))
        // Day of month or weekday when both are given: the 1st, the 15th, and Mondays.
        let either = try CronExpression("0 0 1,15 * 1")
        #expect(either.nextFire(after: Self.utc(2026, 12, 2, 0, 0), in: .utc) == Self.utc(2026, 12, 7, 0, 0))
        #expect(either.nextFire(after: Self.utc(2026, 12, 7, 0, 0), in: .utc) == Self.utc(2026, 12, 14, 0, 0))
        #expect(either.nextFire(after: Self.utc(2026, 12, 14, 0, 0), in: .utc) == Self.utc(2026, 12, 15, 0, 0))
        // A starred day of month leaves the weekday alone: only Mondays.
        let mondays = try CronExpression("0 0 */2 * 1")
        #expect(mondays.nextFire(after: Self.utc(2026, 12, 7, 0, 0), in: .utc) == Self.utc(2026, 12, 21, 0, 0))
        #expect(try CronExpression("0 0 29 2 *").nextFire(after: Self.utc(2026, 3, 1, 0, 0), in: .utc) == Self.utc(2028, 2, 29, 0, 0))
        #expect(try CronExpression("0 0 * * 7").nextFire(after: Self.utc(2026, 12, 2, 0, 0), in: .utc) == Self.utc(2026, 12, 6, 0, 0))
        #expect(try !CronExpression("0 0 30 2 *").everFires)
        #expect(try CronExpression("0 0 31 * *").everFires)
    }

    @Test func clockChangesAreHandledAsCronDoes() throws {
        let berlin = try ZoneInfo.load("Europe/Berlin")
        // Spring, 2026-03-29: 02:00-03:00 does not happen. A time of day in it fires at the jump (01:00 UTC);
        // an hourly job has no 02:00 that day.
        #expect(try CronExpression("30 2 * * *").nextFire(after: Self.utc(2026, 3, 28, 12, 0), in: berlin) == Self.utc(2026, 3, 29, 1, 0))
        let hourly = try CronExpression("0 * * * *")
        #expect(hourly.nextFire(after: Self.utc(2026, 3, 29, 0, 30), in: berlin) == Self.utc(2026, 3, 29, 1, 0))  // 03:00 CEST
        // Autumn, 2026-10-25: 02:00-03:00 happens twice. A time of day in it fires once, the first time;
        // an hourly job fires at both 02:00s.
        let once = try CronExpression("30 2 * * *")
        let first = try #require(once.nextFire(after: Self.utc(2026, 10, 24, 12, 0), in: berlin))
        #expect(first == Self.utc(2026, 10, 25, 0, 30))
        #expect(once.nextFire(after: first, in: berlin) == Self.utc(2026, 10, 26, 1, 30))
        #expect(hourly.nextFire(after: Self.utc(2026, 10, 24, 23, 30), in: berlin) == Self.utc(2026, 10, 25, 0, 0))
        #expect(hourly.nextFire(after: Self.utc(2026, 10, 25, 0, 0), in: berlin) == Self.utc(2026, 10, 25, 1, 0))
        #expect(hourly.nextFire(after: Self.utc(2026, 10, 25, 1, 0), in: berlin) == Self.utc(2026, 10, 25, 2, 0))
    }

    /// The same schedules in cron's syntax and systemd's `OnCalendar=` syntax, and base times around the
    /// zones' clock changes that cron and systemd agree on.
    static let pairs: [(cron: String, systemd: String, zone: String, base: String)] = [
        ("*/15 9-17 * * MON-FRI", "Mon..Fri *-*-* 09..17:00/15:00", "Europe/Berlin", "2026-03-27 15:50:00"),
        ("0 3 * * *", "*-*-* 03:00:00", "America/New_York", "2026-11-01 00:00:00"),
        ("30 2 1 * *", "*-*-01 02:30:00", "Australia/Sydney", "2026-09-30 00:00:00"),
        ("0 0 * * 0", "Sun *-*-* 00:00:00", "UTC", "2026-12-02 12:00:00"),
        ("5 4 * 1,7 *", "*-01,07-* 04:05:00", "Asia/Kolkata", "2026-12-02 12:00:00"),
        ("0 */6 * * *", "*-*-* 00/6:00:00", "Europe/Dublin", "2026-10-24 12:00:00"),
        ("45 23 28-31 * *", "*-*-28..31 23:45:00", "America/Sao_Paulo", "2027-02-20 00:00:00"),
        ("0 12 * * SAT,SUN", "Sat,Sun *-*-* 12:00:00", "Pacific/Chatham", "2027-04-01 00:00:00"),
    ]
    /// Fire times compared per schedule.
    static let iterations = 12

    @Test(arguments: pairs.indices)
    func nextFireTimesAgreeWithSystemdsCalendar(index: Int) async throws {
        let pair = Self.pairs[index]
        let zone = try ZoneInfo.load(pair.zone)
        let expression = try CronExpression(pair.cron)
        let result = try await runTool(
            "env",
            [
                "TZ=UTC", "systemd-analyze", "calendar", "--iterations=\(Self.iterations)",
                "--base-time=\(pair.base) UTC", "\(pair.systemd) \(pair.zone)",
            ])
        #expect(result.status == 0, "\(result.output)")
        // "    Next elapse: Mon 2026-03-30 07:00:00 UTC" and "       Iter. #2: …"
        let expected: [Int64] = result.output.split(separator: "\n").compactMap { line in
            guard line.contains("Next elapse:") || line.contains("Iter. #") else { return nil }
            let fields = line.split(separator: " ")
            guard fields.count >= 4 else { return nil }
            let date = fields[fields.count - 3].split(separator: "-").compactMap { Int($0) }
            let time = fields[fields.count - 2].split(separator: ":").compactMap { Int($0) }
            guard date.count == 3, time.count == 3 else { return nil }
            return Self.utc(date[0], date[1], date[2], time[0], time[1])
        }
        #expect(expected.count == Self.iterations, "\(result.output)")
        let baseParts = pair.base.split(separator: " ")
        let day = baseParts[0].split(separator: "-").compactMap { Int($0) }
        let clock = baseParts[1].split(separator: ":").compactMap { Int($0) }
        var instant = Self.utc(day[0], day[1], day[2], clock[0], clock[1])
        var ours: [Int64] = []
        for _ in 0..<Self.iterations {
            guard let next = expression.nextFire(after: instant, in: zone) else { break }
            ours.append(next)
            instant = next
        }
        #expect(ours == expected, "\(pair.cron) in \(pair.zone)")
    }
}
