import Foundation
import Jobkit
import JobkitDaemon
import Testing

@testable import MemorydCore

/// What the queue keeps of a task's output: the bound, the lines of each attempt, and the log answer.
struct TaskOutputTests {
    /// The lines `sizes` leave kept under `budget`, replaying ``OutputBound``'s decisions.
    static func kept(_ sizes: [Int], budget: Int) -> [Int] {
        var bound = OutputBound(budget: budget)
        var kept: [Int] = []
        for size in sizes {
            let (line, dropped) = bound.add(bytes: size)
            kept.removeAll { dropped.contains($0) }
            if let line { kept.append(line) }
        }
        return kept
    }

    @Test func theFirstAndTheLastLinesStayEachWithinHalfTheBudget() {
        // 10-byte lines, 100 bytes: lines 1–5 fill the first half, the newest 5 the second.
        #expect(Self.kept(Array(repeating: 10, count: 30), budget: 100) == [1, 2, 3, 4, 5, 26, 27, 28, 29, 30])
        // What fits is all kept.
        #expect(Self.kept([10, 20, 30], budget: 100) == [1, 2, 3])
        // The newest line stays even when larger than the second half; a budget of 0 keeps nothing.
        #expect(Self.kept([10, 10, 10, 500], budget: 40) == [1, 2, 4])
        #expect(Self.kept([1, 1], budget: 0).isEmpty)
    }

    @Test(arguments: [1, 7, 64, 333])
    func anyMixOfSizesStaysWithinTheBudgetAndKeepsAPrefixAndASuffix(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        let sizes = (0..<500).map { _ in Int(generator.next() % 40) }
        let budget = 300
        let kept = Self.kept(sizes, budget: budget)
        let total = kept.reduce(0) { $0 + sizes[$1 - 1] }
        // The newest line may exceed the second half alone; otherwise everything is within the budget.
        #expect(total <= budget + sizes.last!)
        #expect(kept.last == sizes.count)
        // A run from line 1, then a run up to the newest line.
        let prefix = kept.prefix { $0 == kept.firstIndex(of: $0)! + 1 }
        let suffix = kept.dropFirst(prefix.count)
        #expect(suffix.enumerated().allSatisfy { $0.element == suffix.first! + $0.offset })
    }

    func logEvent(_ message: String, run: String, job: String, attempt: Int, stream: String?) -> JobEvent {
        var event = JobEvent(
            kind: .log, task: TaskRef(id: TaskID(rawValue: 1), name: job, jobType: job, correlationID: run),
            attempt: attempt, level: stream == "stderr" ? .warning : .info, message: message,
            metadata: stream.map { ["stream": .string($0)] })
        event.time = Date()
        return event
    }

    @Test func eachAttemptsLinesAreKeptInOrderAndAnAttemptNumberSeenAgainStartsOver() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("output-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try TaskStore(directory: path, outputBytes: 1 << 10)
        let id = try store.recordRun("run-1", jobs: [("extract", [])], parameters: [:])[0]
        try store.record([
            logEvent("reading", run: "run-1", job: "extract", attempt: 1, stream: "stdout"),
            logEvent("disk full", run: "run-1", job: "extract", attempt: 1, stream: "stderr"),
            logEvent("retrying soon", run: "run-1", job: "extract", attempt: 1, stream: nil),
        ])
        try store.record([logEvent("reading again", run: "run-1", job: "extract", attempt: 2, stream: "stdout")])
        let lines = try #require(try store.output(of: id))
        #expect(lines.map(\.text) == ["reading", "disk full", "retrying soon", "reading again"])
        #expect(lines.map(\.stream) == ["stdout", "stderr", "log", "stdout"])
        #expect(lines.map(\.level) == ["info", "warning", "info", "info"])
        #expect(lines.map(\.attempt) == [1, 1, 1, 2])
        #expect(try store.output(of: id, attempt: 2)?.map(\.line) == [1])

        // A second process that sees attempt 2 first (its start was never recorded) replaces its lines.
        let reopened = try TaskStore(directory: path, outputBytes: 1 << 10)
        reopened.track("run-1", [("extract", id)])
        try reopened.record([logEvent("fresh", run: "run-1", job: "extract", attempt: 2, stream: "stdout")])
        #expect(try reopened.output(of: id, attempt: 2)?.map(\.text) == ["fresh"])
        #expect(try reopened.output(of: id, attempt: 1)?.count == 3)
        #expect(try reopened.output(of: id + 1000) == nil)
    }

    @Test func theLogAnswerMarksWhereLinesWereDropped() throws {
        func line(_ attempt: Int, _ number: Int) -> StoredLine {
            StoredLine(attempt: attempt, line: number, time: 0, stream: "stdout", level: "info", text: "l\(number)")
        }
        let body = TaskLogAPI.render([line(1, 1), line(1, 2), line(1, 9), line(2, 1), line(2, 5)])
        let rows = String(decoding: body, as: UTF8.self).split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(rows.count == 7)
        #expect(rows.map { $0?["text"] as? String } == ["l1", "l2", nil, "l9", "l1", nil, "l5"])
        #expect(rows[2]?["after"] as? Int == 2 && rows[2]?["dropped"] as? Int == 6)
        #expect(rows[5]?["after"] as? Int == 1 && rows[5]?["dropped"] as? Int == 3)
        #expect(rows[0]?["time"] as? String == "1970-01-01T00:00:00Z")
    }
}

/// A small deterministic generator, so each case's sizes are the same every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
