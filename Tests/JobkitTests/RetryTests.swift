import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct RetryTests {
    /// The seed daemon's policy: 5 min, doubling, capped at 30 min, back to 5 min after a success.
    @Test func seedBackoffGrowsCapsAndResetsOnSuccess() {
        var backoff = Backoff(
            policy: BackoffPolicy(initial: .seconds(300), maximum: .seconds(1800), factor: 2, jitter: 0))
        let delays = (0..<5).map { _ in backoff.failed(unitRandom: 0.5) }
        #expect(delays == [.seconds(300), .seconds(600), .seconds(1200), .seconds(1800), .seconds(1800)])
        backoff.succeeded()
        #expect(backoff.consecutiveFailures == 0)
        #expect(backoff.failed(unitRandom: 0.5) == .seconds(300))
    }

    @Test(arguments: [0.0, 0.25, 0.5, 0.999])
    func jitterSpreadsWithinItsBounds(unitRandom: Double) {
        let policy = BackoffPolicy(initial: .seconds(10), maximum: .seconds(100), factor: 3, jitter: 0.2)
        let delay = policy.delay(beforeRetry: 2, unitRandom: unitRandom).seconds
        #expect(abs(delay - 30 * (1 + 0.2 * (2 * unitRandom - 1))) < 1e-6)
        #expect((24.0...36.0).contains(delay))
    }

    @Test func invalidBackoffValuesAreRejected() {
        let bad = [
            BackoffPolicy(initial: .seconds(-1)),
            BackoffPolicy(initial: .seconds(10), maximum: .seconds(5)),
            BackoffPolicy(factor: 0.5),
            BackoffPolicy(jitter: 1.5),
        ]
        for policy in bad {
            #expect(jobError { try policy.validate() }?.code == .invalidConfiguration)
        }
        let scheduler = try? Scheduler(SchedulerConfiguration(workers: 1))
        let negative = jobError {
            try scheduler?.spawnBlocking("x", options: TaskOptions(retry: RetryPolicy(maxRetries: -1))) { _ in }
        }
        #expect(negative?.message == "retries -1 is negative")
    }

    @Test func retryableFailuresAreRetriedAfterTheBackoffOnTheInjectedClock() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        let attempts = Atomic<Int>(0)
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let policy = RetryPolicy.retries(
                3, backoff: BackoffPolicy(initial: .seconds(5), maximum: .seconds(60), jitter: 0))
            let handle = try scheduler.spawnBlocking("flaky", options: TaskOptions(retry: policy)) { ctx in
                attempts.add(1, ordering: .relaxed)
                if ctx.attempt < 3 { throw TaskError.retryable("busy (attempt \(ctx.attempt))") }
            }

            let first = await events.next { $0.kind == .retrying }
            #expect(first?.attempt == 1)
            #expect(first?.duration == 5)
            #expect(first?.error == "busy (attempt 1)")
            #expect(try scheduler.status(of: handle.id).state == .retryWait)
            await clock.waitForSleepers(1)
            #expect(clock.nextDeadline == ManualClock.Instant(offset: .seconds(5)))
            clock.advance(by: .seconds(4))
            #expect(attempts.load(ordering: .relaxed) == 1, "not due before the backoff has passed")
            clock.advance(by: .seconds(1))

            let second = await events.next { $0.kind == .retrying }
            #expect(second?.attempt == 2)
            #expect(second?.duration == 10)
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(10))

            #expect(await handle.result() == TaskResult(outcome: .succeeded, attempts: 3, error: nil))
            #expect(try scheduler.status(of: handle.id).lastError == nil)
        }
    }

    @Test func retriesExhaustedIsItsOwnOutcome() async throws {
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        try await withRunningScheduler(scheduler) { scheduler in
            let policy = RetryPolicy.retries(2, backoff: .constant(.seconds(1)))
            let handle = try scheduler.spawnBlocking("hopeless", options: TaskOptions(retry: policy)) { _ in
                throw TaskError.retryable("still down")
            }
            for _ in 0..<2 {
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(1))
            }
            #expect(await handle.result() == TaskResult(outcome: .retriesExhausted, attempts: 3, error: "still down"))
            #expect(try scheduler.status(of: handle.id).state == .failed)
        }
    }

    @Test func fatalAndUnknownErrorsAreNotRetried() async throws {
        struct Unexpected: Error {}
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        try await withRunningScheduler(scheduler) { scheduler in
            let fatal = try scheduler.spawnBlocking("fatal", options: TaskOptions(retry: .retries(5))) { _ in
                throw TaskError.fatal("bad input")
            }
            let unknown = try scheduler.spawnBlocking("unknown", options: TaskOptions(retry: .retries(5))) { _ in
                throw Unexpected()
            }
            #expect(await fatal.result() == TaskResult(outcome: .failed, attempts: 1, error: "bad input"))
            #expect(await unknown.result().outcome == .failed)
            #expect(await unknown.result().attempts == 1)
        }
    }

    @Test func retryDecisionTable() {
        let policy = RetryPolicy(maxRetries: 1, backoff: .constant(.seconds(2)), retriesTimeouts: false)
        let decide = { (attempt: Int, ending: AttemptEnding) in
            RetryDecision.after(attempt: attempt, ending: ending, policy: policy, unitRandom: 0.5)
        }
        #expect(decide(1, .retryable) == .retry(after: .seconds(2)))
        #expect(decide(2, .retryable) == .finish(.retriesExhausted))
        #expect(decide(1, .timedOut) == .finish(.timedOut), "this policy does not retry timeouts")
        #expect(decide(1, .fatal) == .finish(.failed))
        #expect(decide(1, .cancelled) == .finish(.cancelled))
        #expect(decide(1, .succeeded) == .finish(.succeeded))
        let once = RetryPolicy.none
        #expect(RetryDecision.after(attempt: 1, ending: .retryable, policy: once, unitRandom: 0.5) == .finish(.failed))
    }
}
