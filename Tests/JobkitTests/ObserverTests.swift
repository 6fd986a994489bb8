import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ObserverTests {
    @Test func hooksDescribeATasksLifeInOrder() async throws {
        let (clock, jobClock) = manualClock()
        let recorder = RecordingJobObserver()
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: 1, pools: ["llm": 1]), clock: jobClock, observers: [recorder])
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let policy = RetryPolicy.retries(1, backoff: .constant(.seconds(3)))
            let handle = try scheduler.spawnBlocking("job", options: TaskOptions(pools: ["llm": 1], retry: policy)) {
                ctx in
                if ctx.attempt == 1 { throw TaskError.retryable("first try fails") }
            }
            _ = await events.next { $0.kind == .retrying }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(3))
            _ = await handle.result()
            await scheduler.waitUntilIdle()
            let task = ref(handle)
            let worker = WorkerID(index: 0, name: "worker-0")
            let expected: [JobActivity] = [
                .stateChanged(task, from: nil, to: .blocked),
                .poolAcquired(task, pool: "llm", slots: 1, waited: .zero),
                .stateChanged(task, from: .blocked, to: .pending),
                .workerStateChanged(worker, busy: true),
                .stateChanged(task, from: .pending, to: .running),
                .started(task, attempt: 1, worker: worker, queueWait: .zero),
                .poolReleased(task, pool: "llm", slots: 1),
                .stateChanged(task, from: .running, to: .retryWait),
                .retrying(task, attempt: 1, delay: .seconds(3), error: "first try fails"),
                .workerStateChanged(worker, busy: false),
                .poolAcquired(task, pool: "llm", slots: 1, waited: .zero),
                .stateChanged(task, from: .retryWait, to: .pending),
                .workerStateChanged(worker, busy: true),
                .stateChanged(task, from: .pending, to: .running),
                .started(task, attempt: 2, worker: worker, queueWait: .zero),
                .poolReleased(task, pool: "llm", slots: 1),
                .stateChanged(task, from: .running, to: .succeeded),
                .finished(task, outcome: .succeeded, attempt: 2, duration: .zero, error: nil),
                .workerStateChanged(worker, busy: false),
            ]
            #expect(recorder.activities == expected)
        }
    }

    @Test func queueWaitIsTheTimeFromReadyToStart() async throws {
        let (clock, jobClock) = manualClock()
        final class QueueWaits: JobObserver {
            let waits = Mutex<[String: Duration]>([:])
            func observe(_ activity: JobActivity) {
                if case .started(let task, _, _, let queueWait) = activity {
                    waits.withLock { $0[task.name] = queueWait }
                }
            }
        }
        let observer = QueueWaits()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock, observers: [observer])
        let gate = Gate()
        try await withRunningScheduler(scheduler) { scheduler in
            let first = try scheduler.spawnBlocking("first") { _ in gate.wait() }
            await gate.waitForArrivals(1)
            let second = try scheduler.spawnBlocking("second") { _ in }
            clock.advance(by: .milliseconds(1500))
            gate.open()
            _ = await first.result()
            _ = await second.result()
        }
        #expect(observer.waits.withLock { $0 } == ["first": .zero, "second": .milliseconds(1500)])
    }

    @Test func multiplexerForwardsToEveryObserverInOrder() {
        let first = RecordingJobObserver()
        let second = RecordingJobObserver()
        let multiplexer = MultiplexJobObserver([first, second])
        let task = TaskRef(id: TaskID(rawValue: 1), name: "n", jobType: "j", correlationID: nil)
        let sent: [JobActivity] = [
            .finished(task, outcome: .skipped, attempt: 0, duration: nil, error: "x"),
            .workerStateChanged(WorkerID(index: 0, name: "w"), busy: true),
        ]
        for activity in sent { multiplexer.observe(activity) }
        #expect(first.activities == sent)
        #expect(second.activities == sent)
    }

    /// An observer is given only the kinds it asks for; a multiplexer asks for what any of its observers do.
    @Test func observersAreGivenOnlyTheKindsOfActivityTheyAskFor() async throws {
        final class Finishes: JobObserver {
            let seen = Mutex<[JobActivity]>([])
            var interests: JobActivity.Kinds { [.finished, .retrying] }
            func observe(_ activity: JobActivity) { seen.withLock { $0.append(activity) } }
        }
        let finishes = Finishes()
        let everything = RecordingJobObserver()
        let (clock, jobClock) = manualClock()
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: 1), clock: jobClock, observers: [finishes, everything])
        try await withRunningScheduler(scheduler) { scheduler in
            let policy = RetryPolicy.retries(1, backoff: .constant(.seconds(1)))
            let handle = try scheduler.spawnBlocking("job", options: TaskOptions(retry: policy)) { ctx in
                ctx.log(.info, "attempt \(ctx.attempt)")
                if ctx.attempt == 1 { throw TaskError.retryable("once") }
            }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            _ = await handle.result()
        }
        let wanted = everything.activities.filter {
            if case .finished = $0 { return true }
            if case .retrying = $0 { return true }
            return false
        }
        #expect(wanted.count == 2)
        #expect(finishes.seen.withLock { $0 } == wanted)
        #expect(everything.activities.count > wanted.count)
        #expect(MultiplexJobObserver([finishes, LogLinesOnly()]).interests == [.finished, .retrying, .log])
        #expect(MultiplexJobObserver([finishes, everything]).interests == .all)
    }
}

/// An observer interested in log lines only.
private struct LogLinesOnly: JobObserver {
    var interests: JobActivity.Kinds { .log }
    func observe(_ activity: JobActivity) {}
}
