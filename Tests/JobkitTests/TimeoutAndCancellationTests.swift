import Dispatch
import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct TimeoutAndCancellationTests {
    @Test func anAsyncJobPastItsTimeoutIsCancelledAndTimesOut() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        try await withRunningScheduler(scheduler) { scheduler in
            let handle = try scheduler.spawn("slow", options: TaskOptions(timeout: .seconds(10))) { ctx in
                try await ctx.sleep(for: .seconds(3600))
            }
            await clock.waitForSleepers(2)  // the job's sleep and the scheduler's timeout timer
            clock.advance(by: .seconds(9))
            #expect(handle.finishedResult == nil)
            clock.advance(by: .seconds(1))
            let result = await handle.result()
            #expect(result.outcome == .timedOut)
            #expect(result.error == "timed out after 10.0s")
            #expect(try scheduler.status(of: handle.id).state == .failed)
        }
    }

    @Test func aBlockingJobSeesTheTimeoutThroughItsContext() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        let reason = Mutex<CancellationReason?>(nil)
        try await withRunningScheduler(scheduler) { scheduler in
            let handle = try scheduler.spawnBlocking("blocking", options: TaskOptions(timeout: .seconds(5))) { ctx in
                let stop = DispatchSemaphore(value: 0)
                ctx.onCancel { _ in stop.signal() }
                stop.wait()
                reason.withLock { $0 = ctx.cancellationReason }
                #expect(ctx.isCancelled)
            }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(5))
            #expect(await handle.result().outcome == .timedOut)
        }
        #expect(reason.withLock { $0 } == .timedOut)
    }

    @Test func aTimedOutAttemptIsRetriedWhenThePolicyAllows() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let options = TaskOptions(retry: .retries(1, backoff: .constant(.seconds(2))), timeout: .seconds(10))
            let handle = try scheduler.spawn("sometimes-slow", options: options) { ctx in
                if ctx.attempt == 1 { try await ctx.sleep(for: .seconds(3600)) }
            }
            await clock.waitForSleepers(2)
            clock.advance(by: .seconds(10))
            let retrying = await events.next { $0.kind == .retrying }
            #expect(retrying?.error == "timed out after 10.0s")
            await clock.waitForSleepers(1)  // the retry timer
            clock.advance(by: .seconds(2))
            #expect(await handle.result() == TaskResult(outcome: .succeeded, attempts: 2, error: nil))
        }
    }

    @Test func aRunningBlockingJobStopsCooperatively() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let gate = Gate()
        try await withRunningScheduler(scheduler) { scheduler in
            let handle = try scheduler.spawnBlocking("loop") { ctx in
                gate.wait()
                #expect(ctx.isCancelled)
                try ctx.checkCancellation()
            }
            await gate.waitForArrivals(1)
            #expect(try scheduler.cancel(handle.id))
            gate.open()
            let result = await handle.result()
            #expect(result.outcome == .cancelled)
            #expect(result.error == "cancelled while running")
            #expect(try scheduler.status(of: handle.id).state == .cancelled)
            #expect(try scheduler.cancel(handle.id) == false, "a finished task cannot be cancelled again")
        }
    }

    @Test func anAsyncJobIsCancelledThroughSwiftTaskCancellation() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let handle = try scheduler.spawn("waits-forever") { _ in
                // A real-clock sleep that only cancellation can end.
                try await Task.sleep(for: .seconds(3600))
            }
            _ = await events.next { $0.kind == .started }
            handle.cancel()
            #expect(await handle.result().outcome == .cancelled)
        }
    }

    @Test func cancellingATaskThatHasNotStartedEndsItAndItsDependantsAtOnce() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let gate = Gate()
        let ran = Atomic<Int>(0)
        try await withRunningScheduler(scheduler) { scheduler in
            let busy = try scheduler.spawnBlocking("busy") { _ in gate.wait() }
            await gate.waitForArrivals(1)
            let queued = try scheduler.spawnBlocking("queued") { _ in ran.add(1, ordering: .relaxed) }
            let child = try scheduler.spawnBlocking(
                "child", options: TaskOptions(dependsOn: [queued], onDependencyFailure: .ignore)
            ) { _ in ran.add(1, ordering: .relaxed) }
            let grandchild = try scheduler.spawnBlocking("grandchild", options: TaskOptions(dependsOn: [child])) { _ in
                ran.add(1, ordering: .relaxed)
            }
            #expect(try scheduler.status(of: queued.id).state == .pending)

            #expect(queued.cancel())
            #expect(
                await queued.result()
                    == TaskResult(outcome: .cancelled, attempts: 0, error: "cancelled before it ran (pending)"))
            #expect(await child.result().outcome == .cancelled, "cancellation propagates whatever the failure policy")
            #expect(await child.result().error?.contains("'queued'") == true)
            #expect(await grandchild.result().outcome == .cancelled)
            gate.open()
            #expect(await busy.result().outcome == .succeeded)
        }
        #expect(ran.load(ordering: .relaxed) == 0)
    }

    @Test func cancellingDuringRetryWaitStopsTheRetry() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let handle = try scheduler.spawnBlocking(
                "flaky", options: TaskOptions(retry: .retries(3, backoff: .constant(.seconds(30))))
            ) { _ in throw TaskError.retryable("nope") }
            _ = await events.next { $0.kind == .retrying }
            handle.cancel()
            #expect(
                await handle.result()
                    == TaskResult(outcome: .cancelled, attempts: 1, error: "cancelled before it ran (retry_wait)"))
            clock.advance(by: .seconds(60))
            #expect(try scheduler.status(of: handle.id).attempt == 1)
        }
    }

    @Test func unknownTaskIDsAreErrors() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let error = jobError { try scheduler.cancel(TaskID(rawValue: 999)) }
        #expect(error?.code == .unknownTask)
        #expect(error?.message.contains("t999") == true)
        #expect(jobError { _ = try scheduler.status(of: TaskID(rawValue: 999)) }?.code == .unknownTask)
    }

    @Test func cancellingShutdownStopsEverythingAndRefusesNewWork() async throws {
        let (_, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        let gate = Gate()
        var handles: [TaskHandle] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run() }
            let running = try scheduler.spawnBlocking("running") { ctx in
                let stop = DispatchSemaphore(value: 0)
                ctx.onCancel { _ in stop.signal() }
                gate.wait()
                stop.wait()
            }
            await gate.waitForArrivals(1)
            handles = [running] + (try (0..<3).map { try scheduler.spawnBlocking("queued-\($0)") { _ in } })
            scheduler.shutdown(.cancel)
            gate.open()
            try await group.waitForAll()
        }
        for handle in handles { #expect(handle.finishedResult?.outcome == .cancelled) }
        let error = jobError { try scheduler.spawnBlocking("late") { _ in } }
        #expect(error?.code == .shutDown)
    }

    @Test func cancellingTheRunTaskCancelsTheTasks() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let handle = try scheduler.spawn("forever") { _ in try await Task.sleep(for: .seconds(3600)) }
        let events = scheduler.events.subscribe(consumer: "test")
        let runner = Task { try await scheduler.run() }
        _ = await events.next { $0.kind == .started }
        runner.cancel()
        try await runner.value
        #expect(handle.finishedResult?.outcome == .cancelled)
    }
}
