import Foundation
import Jobkit
import JobkitSupport
import Testing

@testable import MemorydCore

/// Local time without Foundation's time zones: civil dates, zoneinfo files, POSIX rules, checked against
/// Foundation's own zone data (ICU, in the test process only) as an independent reading of the same zones.
struct ZoneInfoTests {
    @Test func civilDatesRoundTripAndKnowTheirWeekday() {
        for days in stride(from: -800_000, through: 800_000, by: 97) {
            #expect(CivilDate(days: days).days == days)
        }
        #expect(CivilDate(year: 1970, month: 1, day: 1).days == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1).days == 11_017)
        #expect(CivilDate(year: 2026, month: 12, day: 2).weekday == 3)  // a Wednesday
        #expect(CivilDate(year: 1969, month: 12, day: 31).weekday == 3)
        #expect(CivilDate.daysInMonth(year: 2100, month: 2) == 28 && CivilDate.daysInMonth(year: 2000, month: 2) == 29)
    }

    static let zones = [
        "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Australia/Lord_Howe",
        "America/Sao_Paulo", "Pacific/Chatham", "Europe/Dublin", "Africa/Casablanca", "UTC",
    ]

    @Test(arguments: zones)
    func offsetsAgreeWithFoundationsZoneData(name: String) throws {
        let zone = try ZoneInfo.load(name)
        let reference = try #require(TimeZone(identifier: name))
        // Every 7 days and 13 hours from 1975 to 2099, past the files' last transitions into their rules.
        var instant: Int64 = 157_766_400
        var checked = 0
        while instant < 4_102_444_800 {
            let expected = reference.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
            if zone.offset(at: instant) != expected {
                Issue.record("\(name) at \(instant): \(zone.offset(at: instant)) s, Foundation says \(expected) s")
                return
            }
            instant += 7 * 86_400 + 13 * 3600
            checked += 1
        }
        #expect(checked > 6000)
    }

    @Test func aSkippedLocalTimeResolvesToTheJumpAndARepeatedOneToBothInstants() throws {
        let berlin = try ZoneInfo.load("Europe/Berlin")
        // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
        let spring = LocalTime(date: CivilDate(year: 2026, month: 3, day: 29), hour: 2, minute: 30)
        let jump = Int64(CivilDate(year: 2026, month: 3, day: 29).days) * 86_400 + 3600
        #expect(berlin.resolve(spring) == .skipped(jumpAt: jump))
        // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens at 00:30 and 01:30 UTC.
        let autumn = LocalTime(date: CivilDate(year: 2026, month: 10, day: 25), hour: 2, minute: 30)
        let midnight = Int64(CivilDate(year: 2026, month: 10, day: 25).days) * 86_400
        #expect(berlin.resolve(autumn) == .instants([midnight + 1800, midnight + 5400]))
    }

    @Test func posixRulesReadAsTheFootersAndTZWriteThem() throws {
        let newYork = try #require(PosixTimeZoneRule("EST5EDT,M3.2.0,M11.1.0"))
        #expect(newYork.standardOffset == -18_000 && newYork.daylight?.offset == -14_400)
        let july = Int64(CivilDate(year: 2031, month: 7, day: 1).days) * 86_400
        #expect(newYork.offset(at: july) == -14_400)
        #expect(newYork.offset(at: july + 180 * 86_400) == -18_000)
        // Southern hemisphere: daylight time spans the new year.
        let sydney = try #require(PosixTimeZoneRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
        #expect(sydney.offset(at: july) == 36_000)
        #expect(sydney.offset(at: july + 180 * 86_400) == 39_600)
        #expect(PosixTimeZoneRule("<+0330>-3:30")?.standardOffset == 12_600)
        #expect(PosixTimeZoneRule("UTC0")?.daylight == nil)
        for bad in ["", "X5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0"] {
            #expect(PosixTimeZoneRule(bad) == nil, "\(bad)")
        }
        let local = ZoneInfo.local(environment: ["TZ": "EST5EDT,M3.2.0,M11.1.0"])
        #expect(local.offset(at: july) == -14_400)
        #expect(ZoneInfo.local(environment: ["TZ": ":Europe/Berlin"]).name == "Europe/Berlin")
    }

    @Test func aMissingZoneSaysSoAndPathsAreNotZoneNames() {
        #expect(throws: ZoneInfo.Failure.self) { try ZoneInfo.load("Europe/Berln") }
        #expect(throws: ZoneInfo.Failure.self) { try ZoneInfo.load("../../etc/passwd") }
        #expect(throws: ZoneInfo.Failure.self) { try ZoneInfo.load("/etc/localtime") }
    }
}
