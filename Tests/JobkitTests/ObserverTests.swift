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
            let id = handle.id
            let expected: [RecordingJobObserver.Call] = [
                .stateChanged(id, from: nil, to: .blocked),
                .poolAcquired(id, pool: "llm", slots: 1, waited: .zero),
                .stateChanged(id, from: .blocked, to: .pending),
                .workerBusy("worker-0", true),
                .stateChanged(id, from: .pending, to: .running),
                .started(id, attempt: 1, worker: "worker-0"),
                .poolReleased(id, pool: "llm", slots: 1),
                .stateChanged(id, from: .running, to: .retryWait),
                .retrying(id, attempt: 1, delay: .seconds(3)),
                .workerBusy("worker-0", false),
                .poolAcquired(id, pool: "llm", slots: 1, waited: .zero),
                .stateChanged(id, from: .retryWait, to: .pending),
                .workerBusy("worker-0", true),
                .stateChanged(id, from: .pending, to: .running),
                .started(id, attempt: 2, worker: "worker-0"),
                .poolReleased(id, pool: "llm", slots: 1),
                .stateChanged(id, from: .running, to: .succeeded),
                .finished(id, outcome: .succeeded, attempt: 2),
                .workerBusy("worker-0", false),
            ]
            #expect(recorder.calls == expected)
        }
    }

    @Test func queueWaitIsTheTimeFromReadyToStart() async throws {
        let (clock, jobClock) = manualClock()
        final class QueueWaits: JobObserver {
            let waits = Mutex<[String: Duration]>([:])
            func taskStarted(_ task: TaskRef, attempt: Int, worker: WorkerID, queueWait: Duration) {
                waits.withLock { $0[task.name] = queueWait }
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
        multiplexer.taskFinished(task, outcome: .skipped, attempt: 0, duration: nil, error: "x")
        multiplexer.workerStateChanged(WorkerID(index: 0, name: "w"), busy: true)
        #expect(first.calls == [.finished(task.id, outcome: .skipped, attempt: 0), .workerBusy("w", true)])
        #expect(second.calls == first.calls)
        NoopJobObserver().taskStarted(task, attempt: 1, worker: WorkerID(index: 0, name: "w"), queueWait: .zero)
    }
}
