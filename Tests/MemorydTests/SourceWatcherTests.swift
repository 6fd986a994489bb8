import Foundation
import Jobkit
import Testing

@testable import MemorydCore

struct SourceWatcherTests {
    @Test func eachNewMatchingFileStartsOneRunAndIsRememberedAcrossRestarts() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sources-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inbox = root + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        for name in ["a.jsonl", "notes.txt", ".hidden.jsonl"] {
            #expect(FileManager.default.createFile(atPath: inbox + "/" + name, contents: Data("x\n".utf8)))
        }
        try FileManager.default.createDirectory(atPath: inbox + "/dir.jsonl", withIntermediateDirectories: true)
        let config = try MemorydConfig.parse(
            """
            [sources.inbox]
            dir = "\(inbox)"
            glob = "*.jsonl"
            job = "extract"
            [jobs.extract]
            command = ["true"]
            """, file: "s.toml", environment: [:])

        func watcher() throws -> (SourceWatcher, Scheduler) {
            let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
            let store = try TaskStore(directory: root)
            let pipeline = PipelineRunner(config: config, scheduler: scheduler, store: store)
            return (SourceWatcher(pipeline: pipeline, store: store, scanInterval: .seconds(60)), scheduler)
        }

        let (first, scheduler) = try watcher()
        #expect(first.scanOnce() == 1)
        #expect(scheduler.tasks().map(\.jobType) == ["extract"])
        #expect(first.scanOnce() == 0)
        #expect(FileManager.default.createFile(atPath: inbox + "/b.jsonl", contents: Data()))
        #expect(first.scanOnce() == 1)

        // A new daemon on the same state: handled files stay handled, files that arrived meanwhile run.
        #expect(FileManager.default.createFile(atPath: inbox + "/c.jsonl", contents: Data()))
        let (second, _) = try watcher()
        #expect(second.scanOnce() == 1)
        #expect(second.scanOnce() == 0)
    }

    @Test func aPausedJobThatDropsTriggersLeavesItsFilesUntilResumed() throws {
        let root = try makeTemporaryDirectory("sources-paused").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inbox = root + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: inbox + "/a.jsonl", contents: Data("x\n".utf8)))
        let config = try MemorydConfig.parse(
            """
            [sources.inbox]
            dir = "\(inbox)"
            glob = "*.jsonl"
            job = "extract"
            [jobs.extract]
            command = ["true"]
            paused_triggers = "drop"
            """, file: "s.toml", environment: [:])
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let store = try TaskStore(directory: root)
        let watcher = SourceWatcher(
            pipeline: PipelineRunner(config: config, scheduler: scheduler, store: store), store: store,
            scanInterval: .seconds(60))
        scheduler.pause(jobType: "extract")
        #expect(watcher.scanOnce() == 0)
        #expect(watcher.scanOnce() == 0)
        scheduler.resume(jobType: "extract")
        #expect(watcher.scanOnce() == 1, "the file waited in its directory")
    }
}
