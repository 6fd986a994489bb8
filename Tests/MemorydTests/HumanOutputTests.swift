import Foundation
import Jobkit
import JobkitSupport
import MemorydCore
import Testing

struct HumanOutputTests {
    @Test(arguments: [(0.0042, "4ms"), (12.34, "12.3s"), (245.0, "4m05s"), (7380.0, "2h03m")])
    func durationsReadLikeAnOperatorWouldWriteThem(seconds: Double, text: String) {
        #expect(DurationText.human(seconds: seconds) == text)
    }

    @Test(arguments: [
        (12.345, 1, "12.3"), (0.0, 1, "0.0"), (99.96, 1, "100.0"), (0.04, 0, "0"), (-1.26, 1, "-1.3"),
        (7.0, 2, "7.00"), (0.05, 2, "0.05"),
    ])
    func numbersAreFixedPointWithoutALocale(value: Double, digits: Int, text: String) {
        #expect(DurationText.fixed(value, digits: digits) == text)
    }

    @Test func numbersThatAreNotFiniteAreShownAsSwiftWritesThem() {
        #expect(DurationText.fixed(.nan, digits: 1) == "nan")
        #expect(DurationText.fixed(.infinity, digits: 0) == "inf")
    }

    @Test func anEventIsOneLineWithWhatMatters() {
        var event = JobEvent(
            kind: .failed,
            task: TaskRef(id: TaskID(rawValue: 7), name: "digest", jobType: "knowledge", correlationID: nil),
            attempt: 3, duration: 1.5, error: "exit status 2")
        event.seq = 42
        event.time = Date(timeIntervalSince1970: 1_795_600_000)
        #expect(
            HumanOutput.event(event)
                == "#42 2026-11-25T09:46:40 failed knowledge digest[t7] attempt 3 1.5s error: exit status 2")
    }
}
