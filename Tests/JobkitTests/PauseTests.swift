import Jobkit
import Synchronization
import Testing

/// Paused job types: their ready tasks wait, pending and without pool slots, until resumed.
@Suite(.timeLimit(.minutes(1)))
struct PauseTests {
    @Test func tasksOfAPausedJobTypeWaitWithoutTheirPoolAndGoOnInOrderWhenResumed() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 2, pools: ["llm": 1]))
        scheduler.pause(jobType: "extract")
        #expect(scheduler.pausedJobTypes() == ["extract"])
        let order = Mutex<[String]>([])
        func task(_ name: String, type: String) throws -> TaskHandle {
            try scheduler.spawnBlocking(name, options: TaskOptions(jobType: type, pools: ["llm": 1])) { _ in
                order.withLock { $0.append(name) }
            }
        }
        let first = try task("extract-1", type: "extract")
        let second = try task("extract-2", type: "extract")
        let other = try task("digest", type: "digest")
        let runner = Task { try await scheduler.run() }
        // The other job type runs, through the pool the held ones do not occupy.
        #expect(await other.result().outcome == .succeeded)
        #expect(try scheduler.status(of: first.id).state == .pending)
        #expect(try scheduler.status(of: second.id).state == .pending)
        #expect(scheduler.pools().first { $0.name == "llm" }?.inUse == 0)
        // A held task can be cancelled, and is skipped at the resume.
        #expect(try scheduler.cancel(second.id))
        scheduler.resume(jobType: "extract")
        #expect(await first.result().outcome == .succeeded)
        #expect(await second.result().outcome == .cancelled)
        #expect(order.withLock { $0 } == ["digest", "extract-1"])
        #expect(scheduler.pausedJobTypes().isEmpty)
        scheduler.shutdown()
        try await runner.value
    }

    @Test func aDrainLetsHeldTasksRunSoItEnds() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        scheduler.pause(jobType: "later")
        let held = try scheduler.spawnBlocking("held", options: TaskOptions(jobType: "later")) { _ in }
        let runner = Task { try await scheduler.run() }
        scheduler.shutdown(.drain)
        try await runner.value
        #expect(held.finishedResult?.outcome == .succeeded)
    }
}
