import Foundation
import Jobkit
import JobkitDaemon
import Testing

@testable import MemorydCore

/// The queue's retention deletes finished tasks past their age or beyond the count, with their output,
/// oldest first, a batch at a time, and never a task whose run still has work left.
struct TaskRetentionTests {
    let now = Date()

    func event(_ kind: EventKind, run: String, job: String, at time: Date, message: String? = nil) -> JobEvent {
        var event = JobEvent(
            kind: kind, task: TaskRef(id: TaskID(rawValue: 1), name: job, jobType: job, correlationID: run),
            attempt: 1, message: message)
        event.time = time
        return event
    }

    /// A store with one single-task run per age (in days before now), each finished with a line of output.
    func store(finishedDaysAgo ages: [Double]) throws -> (TaskStore, [Int64], String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let store = try TaskStore(directory: path)
        var ids: [Int64] = []
        for (index, age) in ages.enumerated() {
            let run = "run-\(index)"
            ids.append(try store.recordRun(run, jobs: [("extract", [])], parameters: [:])[0])
            let time = now.addingTimeInterval(-age * 86_400)
            try store.record([
                event(.started, run: run, job: "extract", at: time),
                event(.log, run: run, job: "extract", at: time, message: "line of \(run)"),
                event(.finished(.succeeded), run: run, job: "extract", at: time),
            ])
        }
        return (store, ids, path)
    }

    func kept(_ store: TaskStore, _ ids: [Int64]) throws -> [Int64] {
        try ids.filter { try store.output(of: $0) != nil }
    }

    @Test func tasksPastTheAgeGoWithTheirOutput() throws {
        let (store, ids, path) = try store(finishedDaysAgo: [9, 8, 6, 1, 0])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try store.prune(TaskRetention(), now: now) == 2)
        #expect(try kept(store, ids) == Array(ids[2...]))
        #expect(try store.output(of: ids[2])?.map(\.text) == ["line of run-2"])
        let leftover = try store.database.execute(
            "SELECT count(*) FROM task_output WHERE task_id IN (?1, ?2)",
            [
                .integer(ids[0]), .integer(ids[1]),
            ])
        #expect(leftover.first?[0].integer == 0)
        #expect(try store.prune(TaskRetention(), now: now) == 0)
    }

    @Test func beyondTheCountTheOldestGoABatchAtATime() throws {
        let (store, ids, path) = try store(finishedDaysAgo: [5, 4, 3, 2, 1, 0.5])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let retention = TaskRetention(maxCount: 2, batch: 3)
        #expect(try store.prune(retention, now: now) == 3)
        #expect(try kept(store, ids) == Array(ids[3...]))
        #expect(try store.prune(retention, now: now) == 1)
        #expect(try kept(store, ids) == Array(ids[4...]))
        #expect(try store.prune(retention, now: now) == 0)
    }

    @Test func aFinishedTaskOfARunWithWorkLeftStays() throws {
        let (store, ids, path) = try store(finishedDaysAgo: [30])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let old = now.addingTimeInterval(-30 * 86_400)
        let pair = try store.recordRun("run-pair", jobs: [("extract", []), ("load", ["extract"])], parameters: [:])
        try store.record([
            event(.started, run: "run-pair", job: "extract", at: old),
            event(.finished(.succeeded), run: "run-pair", job: "extract", at: old),
        ])
        #expect(try store.prune(TaskRetention(), now: now) == 1)
        #expect(try kept(store, ids + pair) == pair)
        #expect(try store.outcomes(of: "run-pair") == ["extract": "succeeded"])
    }

    @Test func thePrunerGoesOnWhileBatchesAreFullThenWaitsItsInterval() throws {
        let (store, ids, path) = try store(finishedDaysAgo: [9, 9, 9])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pruner = RetentionPruner(store: store, retention: TaskRetention(batch: 2, interval: .seconds(60)))
        let start = ContinuousClock.now
        pruner.pruneIfDue(now: start)
        #expect(try kept(store, ids) == [ids[2]])
        // The batch was full: the next round prunes again at once, finds less than a batch, and waits.
        pruner.pruneIfDue(now: start)
        #expect(try kept(store, ids).isEmpty)
        let late = try store.recordRun("run-late", jobs: [("extract", [])], parameters: [:])
        let old = now.addingTimeInterval(-9 * 86_400)
        try store.record([
            event(.started, run: "run-late", job: "extract", at: old),
            event(.finished(.succeeded), run: "run-late", job: "extract", at: old),
        ])
        pruner.pruneIfDue(now: start.advanced(by: .seconds(30)))
        #expect(try kept(store, late) == late)
        pruner.pruneIfDue(now: start.advanced(by: .seconds(61)))
        #expect(try kept(store, late).isEmpty)
    }

    @Test func theRetentionIsReadFromTheConfig() throws {
        let environment = ["HOME": "/home/op"]
        let defaults = try MemorydConfig.parse("", file: "c.toml", environment: environment).daemon
        #expect(defaults.taskRetention == TaskRetention())
        #expect(defaults.taskRetention.maxAge == .seconds(7 * 86_400) && defaults.taskRetention.maxCount == 100_000)
        let set = try MemorydConfig.parse(
            "[daemon]\ntask_retention = \"2d\"\ntask_retention_count = 500", file: "c.toml", environment: environment)
        #expect(set.daemon.taskRetention.maxAge == .seconds(2 * 86_400))
        #expect(set.daemon.taskRetention.maxCount == 500)
        #expect(throws: (any Error).self) {
            try MemorydConfig.parse("[daemon]\ntask_retention_count = 0", file: "c.toml", environment: environment)
        }
    }
}
