import Foundation
import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct SchedulerBasicsTests {
    @Test func runsBlockingAndAsyncJobsOnNamedWorkers() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workerNames: ["alpha", "beta"]))
        try await withRunningScheduler(scheduler) { scheduler in
            let ran = Mutex<[String]>([])
            let blocking = try scheduler.spawnBlocking("blocking") { ctx in
                ran.withLock { $0.append("blocking on \(ctx.worker.name)") }
            }
            let async = try scheduler.spawn("async") { ctx in
                await Task.yield()
                ran.withLock { $0.append("async on \(ctx.worker.name)") }
            }
            #expect(await blocking.result() == TaskResult(outcome: .succeeded, attempts: 1, error: nil))
            #expect(await async.result() == TaskResult(outcome: .succeeded, attempts: 1, error: nil))
            let lines = ran.withLock { $0 }
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { $0.hasSuffix("alpha") || $0.hasSuffix("beta") })
        }
    }

    @Test func tasksSubmittedBeforeRunStartWhenItRuns() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let handle = try scheduler.spawnBlocking("early") { _ in }
        #expect(try scheduler.status(of: handle.id).state == .pending)
        try await withRunningScheduler(scheduler) { _ in
            #expect(await handle.result().outcome == .succeeded)
        }
    }

    @Test func statusListsEverySnapshotField() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1, pools: ["disk": 2]), clock: jobClock)
        let gate = Gate()
        try await withRunningScheduler(scheduler) { scheduler in
            let running = try scheduler.spawnBlocking(
                "compact:db1",
                options: TaskOptions(jobType: "compact", pools: ["disk": 1], retry: .retries(2), correlationID: "run-7")
            ) { ctx in
                ctx.progress(0.25, "first quarter")
                gate.wait()
            }
            let queued = try scheduler.spawnBlocking("after", options: TaskOptions(dependsOn: [running])) { _ in }
            await gate.waitForArrivals(1)
            clock.advance(by: .seconds(3))

            let status = try scheduler.status(of: running.id)
            #expect(status.name == "compact:db1")
            #expect(status.jobType == "compact")
            #expect(status.state == .running)
            #expect(status.attempt == 1)
            #expect(status.maxAttempts == 3)
            #expect(status.worker == "worker-0")
            #expect(status.correlationID == "run-7")
            #expect(status.pools == ["disk": 1])
            #expect(status.submittedAt == testEpoch)
            #expect(status.startedAt == testEpoch)
            #expect(status.progress == TaskProgress(fraction: 0.25, message: "first quarter"))
            #expect(status.finishedAt == nil)
            #expect(try scheduler.status(of: queued.id).state == .blocked)
            #expect(try scheduler.status(of: queued.id).dependsOn == [running.id])
            #expect(scheduler.tasks().map(\.id) == [running.id, queued.id])
            #expect(
                scheduler.workers() == [
                    WorkerStatus(name: "worker-0", busy: true, task: running.id, taskName: "compact:db1")
                ])
            #expect(scheduler.pools() == [PoolStatus(name: "disk", slots: 2, inUse: 1, waiting: 0)])

            gate.open()
            _ = await queued.result()
            let finished = try scheduler.status(of: running.id)
            #expect(finished.state == .succeeded)
            #expect(finished.outcome == .succeeded)
            #expect(finished.finishedAt == testEpoch.addingTimeInterval(3))
            #expect(finished.worker == nil)
            #expect(scheduler.pools() == [PoolStatus(name: "disk", slots: 2, inUse: 0, waiting: 0)])
        }
    }

    @Test func finishedTasksBeyondRetentionAreForgottenButHandlesRemember() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1, finishedTaskRetention: 2))
        try await withRunningScheduler(scheduler) { scheduler in
            let handles = try (0..<5).map { index in try scheduler.spawnBlocking("task-\(index)") { _ in } }
            for handle in handles { _ = await handle.result() }
            #expect(scheduler.tasks().map(\.name) == ["task-3", "task-4"])
            #expect(jobError { _ = try scheduler.status(of: handles[0].id) }?.code == .unknownTask)
            #expect(handles[0].finishedResult?.outcome == .succeeded)
            // A forgotten task can still be depended on through its handle.
            let later = try scheduler.spawnBlocking("later", options: TaskOptions(dependsOn: [handles[0]])) { _ in }
            #expect(await later.result().outcome == .succeeded)
        }
    }

    @Test func aFinishedTaskKeepsItsStatusButLetsItsJobGo() async throws {
        final class Captured: Sendable {}
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        try await withRunningScheduler(scheduler) { scheduler in
            weak var weakCaptured: Captured?
            let handle = try {
                let captured = Captured()
                weakCaptured = captured
                return try scheduler.spawnBlocking("holder") { _ in withExtendedLifetime(captured) {} }
            }()
            _ = await handle.result()
            // The retained record still answers for the task, but no longer holds the job's captures.
            #expect(try scheduler.status(of: handle.id).state == .succeeded)
            #expect(weakCaptured == nil)
        }
    }

    @Test func runTwiceIsAnError() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        try await withRunningScheduler(scheduler) { scheduler in
            // A finished task proves the first run() is under way.
            _ = try await scheduler.spawnBlocking("proof") { _ in }.result()
            let error = await #expect(throws: JobError.self) { try await scheduler.run() }
            #expect(error?.code == .alreadyRunning)
        }
    }

    @Test func waitUntilIdleReturnsWhenEverythingFinished() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 2))
        try await withRunningScheduler(scheduler) { scheduler in
            let done = Atomic<Int>(0)
            for index in 0..<50 {
                try scheduler.spawnBlocking("t\(index)") { _ in done.add(1, ordering: .relaxed) }
            }
            await scheduler.waitUntilIdle()
            #expect(done.load(ordering: .relaxed) == 50)
            #expect(scheduler.unfinishedTaskCount == 0)
        }
    }

    @Test func drainingShutdownFinishesQueuedTasksThenRunReturns() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let done = Atomic<Int>(0)
        for index in 0..<10 {
            try scheduler.spawnBlocking("t\(index)") { _ in done.add(1, ordering: .relaxed) }
        }
        scheduler.shutdown(.drain)
        try await scheduler.run()
        #expect(done.load(ordering: .relaxed) == 10)
    }
}
