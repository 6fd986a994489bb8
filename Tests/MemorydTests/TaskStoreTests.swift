import Foundation
import Jobkit
import Testing

@testable import MemorydCore

struct TaskStoreTests {
    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func event(_ kind: EventKind, run: String, job: String) -> JobEvent {
        var event = JobEvent(
            kind: kind, task: TaskRef(id: TaskID(rawValue: 1), name: job, jobType: job, correlationID: run))
        event.time = Date()
        return event
    }

    @Test func aRecordedRunSurvivesReopeningAndFinishedTasksLeaveTheQueue() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try TaskStore(directory: path)
            let ids = try store.recordRun(
                "run-1", jobs: [("extract", []), ("consolidate", ["extract"])], parameters: ["file": "a"])
            #expect(ids.count == 2)
            try store.record([event(.started, run: "run-1", job: "extract")])
            try store.record([event(.finished(.succeeded), run: "run-1", job: "extract")])
            try store.record([event(.started, run: "run-1", job: "consolidate")])
            // Events of tasks the store does not know are ignored.
            try store.record([event(.started, run: "run-9", job: "other")])
        }
        let reopened = try TaskStore(directory: path)
        let unfinished = try reopened.unfinished()
        #expect(unfinished.count == 1)
        let task = try #require(unfinished.first)
        #expect(task.run == "run-1" && task.job == "consolidate" && task.dependsOn == ["extract"])
        #expect(task.parameters == ["file": "a"])
        #expect(task.attempts == 1 && task.state == "started")
        #expect(try reopened.outcomes(of: "run-1") == ["extract": "succeeded"])
        try reopened.abandon(task.storeID, reason: "test")
        #expect(try reopened.unfinished().isEmpty)
    }
}
