import Foundation
import Jobkit
import JobkitDaemon
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

    @Test func theQueueKeepsAtMostItsCacheOfPagesInMemory() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let standard = try TaskStore(directory: path)
        #expect(try standard.database.execute("PRAGMA cache_size").first?[0].integer == -512)
        let other = try directory()
        defer { try? FileManager.default.removeItem(atPath: other) }
        let larger = try TaskStore(directory: other, cacheBytes: 3 << 20)
        #expect(try larger.database.execute("PRAGMA cache_size").first?[0].integer == -3072)
    }

    @Test func aRunRecordedWithoutWaitingIsReportedOnceDurable() async throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try TaskStore(directory: path)
        let ids = try await withCheckedThrowingContinuation { continuation in
            store.recordRuns([("run-1", [("extract", []), ("load", ["extract"])], [:])]) {
                continuation.resume(with: $0)
            }
        }
        #expect(ids.count == 1 && ids[0].count == 2)
        // Read back on a connection of its own: the runs are committed when the completion is called.
        let reader = try SQLiteDatabase(path: path + "/" + TaskStore.fileName, readOnly: true)
        let stored = try reader.execute("SELECT id, job FROM tasks ORDER BY id")
        #expect(stored.compactMap { $0[0].integer } == ids[0])
        #expect(stored.map { $0[1].text } == ["extract", "load"])
    }

    @Test func retriesInterruptionsAndProcessGroupsAreKeptForTheNextStart() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let retryAt = Date().addingTimeInterval(300)
        do {
            let store = try TaskStore(directory: path)
            let ids = try store.recordRun("run-1", jobs: [("a", [])], parameters: [:])
            try store.record([event(.started, run: "run-1", job: "a")])
            var retrying = event(.retrying, run: "run-1", job: "a")
            retrying.time = retryAt.addingTimeInterval(-60)
            retrying.duration = 60
            try store.record([
                retrying, event(.started, run: "run-1", job: "a"), event(.interrupted, run: "run-1", job: "a"),
            ])
            try store.recordProcessGroup(ProcessGroupRecord(pgid: 4242, startTicks: 99, bootID: "boot"), of: ids[0])
        }
        let task = try #require(try TaskStore(directory: path).unfinished().first)
        #expect(task.attempts == 2 && task.interruptions == 1)
        #expect(task.retryAt == nil, "a started attempt clears the retry time")
        #expect(task.processGroup == ProcessGroupRecord(pgid: 4242, startTicks: 99, bootID: "boot"))

        let store = try TaskStore(directory: path)
        var later = event(.retrying, run: "run-1", job: "a")
        later.time = retryAt.addingTimeInterval(-60)
        later.duration = 60
        store.track("run-1", [("a", task.storeID)])
        try store.record([later])
        let waiting = try #require(try store.unfinished().first)
        #expect(abs((waiting.retryAt?.timeIntervalSince1970 ?? 0) - retryAt.timeIntervalSince1970) < 0.001)
        try store.record([event(.finished(.succeeded), run: "run-1", job: "a")])
        #expect(try store.unfinished().isEmpty)
    }

    @Test func aNewDirectoryGetsOneIdentityInTheDirectoryAndTheDatabase() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let identity = try TaskStore(directory: path).identity
        #expect(try String(contentsOfFile: path + "/identity", encoding: .utf8) == identity.value + "\n")
        #expect(try TaskStore(directory: path).identity == identity)
        // A lost identity file is written again from the database.
        try FileManager.default.removeItem(atPath: path + "/identity")
        #expect(try TaskStore(directory: path).identity == identity)
        #expect(FileManager.default.fileExists(atPath: path + "/identity"))
    }

    @Test(arguments: ["missing", "empty", "foreign"])
    func aUsedDirectoryWithoutItsDatabaseIsRefused(damage: String) throws {
        let path = try directory()
        let other = try directory()
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: other)
        }
        _ = try TaskStore(directory: path)
        _ = try TaskStore(directory: other)
        let database = path + "/" + TaskStore.fileName
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        switch damage {
        case "empty": #expect(FileManager.default.createFile(atPath: database, contents: Data()))
        case "foreign": try FileManager.default.copyItem(atPath: other + "/" + TaskStore.fileName, toPath: database)
        default: break
        }
        #expect {
            try TaskStore(directory: path)
        } throws: { error in
            (error as? DaemonError)?.code == .damagedState
        }
        #expect(
            damage != "missing" || !FileManager.default.fileExists(atPath: database), "the refusal created a database")
    }

    @Test func aDirectoryFromBeforeIdentitiesAdoptsOne() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try TaskStore(directory: path)
        // What an earlier memoryd left: a queue without an identity, and no identity file.
        try FileManager.default.removeItem(atPath: path + "/identity")
        let database = try SQLiteDatabase(path: path + "/" + TaskStore.fileName)
        try database.execute("DELETE FROM meta")
        #expect(try TaskStore(directory: path, logHasEvents: true).identity.value.count == 32)
    }
}
