import Jobkit
import JobkitTesting
import Synchronization
import Testing

/// Shutdowns that keep unfinished tasks for a later process (`suspend`, `interrupt`), and tasks resumed
/// from one (`attemptsMade`, `retryDelay`).
@Suite(.timeLimit(.minutes(1)))
struct SuspendTests {
    @Test func aSuspensionWithNothingRunningReturnsAtOnceAndFinishesNothing() async throws {
        let (_, jobClock) = manualClock()
        let recorder = RecordingJobObserver()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock, observers: [recorder])
        let waiting = try scheduler.spawnBlocking(
            "flaky",
            options: TaskOptions(retry: .retries(3, backoff: BackoffPolicy(initial: .seconds(60), jitter: 0)))
        ) { _ in throw TaskError.retryable("busy") }
        let blocked = try scheduler.spawnBlocking("after", options: TaskOptions(dependsOn: [waiting])) { _ in }
        let runner = Task { try await scheduler.run() }
        let events = scheduler.events.subscribe(consumer: "test", since: 0)
        _ = await events.next { $0.kind == .retrying }

        // Nothing runs: one task waits out its backoff, the other waits for it.
        scheduler.shutdown(.suspend)
        try await runner.value
        #expect(recorder.activities { if case .finished = $0 { true } else { false } }.isEmpty)
        #expect(try scheduler.status(of: waiting.id).state == .retryWait)
        #expect(try scheduler.status(of: blocked.id).state == .blocked)
        #expect(scheduler.unfinishedTaskCount == 2)
        // Waiters are told the task will not finish here.
        #expect(await waiting.result().error?.hasPrefix("suspended") == true)
    }

    @Test func runningAttemptsFinishAndQueuedTasksDoNotStart() async throws {
        let (_, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        let gate = Gate()
        let started = Atomic<Int>(0)
        let first = try scheduler.spawnBlocking("first") { _ in
            started.add(1, ordering: .relaxed)
            gate.wait()
        }
        let second = try scheduler.spawnBlocking("second") { _ in started.add(1, ordering: .relaxed) }
        let runner = Task { try await scheduler.run() }
        await gate.waitForArrivals(1)

        scheduler.shutdown(.suspend)
        #expect(jobError { try scheduler.spawnBlocking("late") { _ in } }?.code == .shutDown)
        gate.open()
        try await runner.value
        #expect(await first.result().outcome == .succeeded)
        #expect(started.load(ordering: .relaxed) == 1, "the queued task must not start during a suspension")
        #expect(try scheduler.status(of: second.id).state == .pending)
    }

    @Test func anInterruptedAttemptLeavesItsTaskPendingWithoutSpendingARetry() async throws {
        let (_, jobClock) = manualClock()
        let recorder = RecordingJobObserver()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock, observers: [recorder])
        let gate = Gate()
        let reason = Mutex<CancellationReason?>(nil)
        let handle = try scheduler.spawnBlocking("long", options: TaskOptions(retry: .none)) { ctx in
            ctx.onCancel { cause in
                reason.withLock { $0 = cause }
                gate.open()
            }
            gate.wait()
            try ctx.checkCancellation()
        }
        let runner = Task { try await scheduler.run() }
        await gate.waitForArrivals(1)

        scheduler.shutdown(.suspend)
        scheduler.shutdown(.interrupt)
        try await runner.value
        #expect(reason.withLock { $0 } == .interrupted)
        let status = try scheduler.status(of: handle.id)
        #expect(status.state == .pending)
        #expect(status.attempt == 1)
        #expect(status.maxAttempts == 2, "the interrupted attempt does not count against the retries")
        #expect(recorder.activities.contains(.interrupted(ref(handle), attempt: 1, duration: .zero)))
        #expect(!recorder.activities.contains { if case .finished = $0 { true } else { false } })
    }

    @Test func aResumedTaskContinuesItsAttemptNumbersAndItsBackoff() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        let seen = Mutex<[Int]>([])
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test", since: 0)
            // Two attempts were made before a restart; one retry is left, and 30 s of backoff.
            let handle = try scheduler.spawnBlocking(
                "resumed",
                options: TaskOptions(
                    retry: .retries(1, backoff: BackoffPolicy(initial: .seconds(5), jitter: 0)), attemptsMade: 2,
                    retryDelay: .seconds(30))
            ) { ctx in
                seen.withLock { $0.append(ctx.attempt) }
                if ctx.attempt == 3 { throw TaskError.retryable("still busy") }
            }
            let status = try scheduler.status(of: handle.id)
            #expect(status.state == .retryWait)
            #expect(status.attempt == 2)
            #expect(status.maxAttempts == 4)
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(29))
            #expect(seen.withLock { $0 }.isEmpty, "not before the rest of the backoff has passed")
            clock.advance(by: .seconds(1))
            let retry = await events.next { $0.kind == .retrying }
            #expect(retry?.attempt == 3)
            #expect(retry?.duration == 5, "the first retry made here gets the first backoff step")
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(5))
            #expect(await handle.result() == TaskResult(outcome: .succeeded, attempts: 4, error: nil))
            #expect(seen.withLock { $0 } == [3, 4])
        }
    }

    @Test func aResumedTaskWithItsRetriesSpentStillGetsOneAttempt() async throws {
        let (_, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        try await withRunningScheduler(scheduler) { scheduler in
            let handle = try scheduler.spawnBlocking("last", options: TaskOptions(retry: .none, attemptsMade: 3)) {
                _ in throw TaskError.retryable("no")
            }
            #expect(await handle.result().attempts == 4)
            #expect(await handle.result().outcome == .failed)
        }
    }

    @Test func aNegativeAttemptCountIsRefused() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let error = jobError { try scheduler.spawnBlocking("bad", options: TaskOptions(attemptsMade: -1)) { _ in } }
        #expect(error?.code == .invalidConfiguration)
    }
}
