import Foundation
import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct EventStreamTests {
    @Test func progressAndLogLinesTravelOneChannelTaggedWithTheirTask() async throws {
        let (_, jobClock) = manualClock()
        let recorder = RecordingJobObserver()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock, observers: [recorder])
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let handle = try scheduler.spawnBlocking(
                "extract:42", options: TaskOptions(jobType: "extract", correlationID: "run-9")
            ) { ctx in
                ctx.progress(0.5, "half way")
                ctx.progress(7, nil)
                ctx.log(.warning, "slow disk", metadata: ["device": "sda", "latency_ms": 120])
            }
            _ = await handle.result()

            let progress = await events.next { $0.kind == .progress }
            #expect(progress?.progress == 0.5)
            #expect(progress?.message == "half way")
            #expect(progress?.task == handle.id)
            #expect(progress?.job == "extract")
            #expect(progress?.name == "extract:42")
            #expect(progress?.run == "run-9")
            #expect(progress?.attempt == 1)
            let clamped = await events.next { $0.kind == .progress }
            #expect(clamped?.progress == 1)
            let log = await events.next { $0.kind == .log }
            #expect(log?.level == .warning)
            #expect(log?.message == "slow disk")
            #expect(log?.metadata == ["device": "sda", "latency_ms": 120])
            #expect(log?.run == "run-9")
            #expect(log?.time == testEpoch)

            let task = ref(handle, jobType: "extract", run: "run-9")
            #expect(recorder.activities.contains(.progress(task, attempt: 1, fraction: 0.5, message: "half way")))
            #expect(
                recorder.activities.contains(
                    .log(
                        task, attempt: 1, level: .warning, message: "slow disk",
                        metadata: ["device": "sda", "latency_ms": 120])))
            #expect(try scheduler.status(of: handle.id).progress == TaskProgress(fraction: 1, message: nil))
        }
    }

    @Test func aTasksEventsComeInOrderWithIncreasingSequenceNumbers() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 2))
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let handle = try scheduler.spawnBlocking("one") { ctx in ctx.log(.info, "hello") }
            _ = await handle.result()
            var kinds: [EventKind] = []
            var seqs: [UInt64] = []
            for await element in events {
                guard case .event(let event) = element else { continue }
                kinds.append(event.kind)
                seqs.append(event.seq)
                if event.kind == .succeeded { break }
            }
            #expect(kinds == [.queued, .started, .log, .succeeded])
            #expect(seqs == [1, 2, 3, 4])
        }
    }

    /// A subscriber that never reads must not hold up workers; when it reads again it learns how much it lost.
    @Test func aSlowSubscriberLosesTheOldestEventsAndIsToldHowMany() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 2))
        try await withRunningScheduler(scheduler) { scheduler in
            let slow = scheduler.events.subscribe(consumer: "slow", bufferSize: 8)
            let handles = try (0..<500).map { index in try scheduler.spawnBlocking("t\(index)") { _ in } }
            for handle in handles { #expect(await handle.result().outcome == .succeeded) }

            let total = scheduler.events.lastSeq
            #expect(total == 1500)  // queued, started, succeeded for each task
            var iterator = slow.makeAsyncIterator()
            #expect(await iterator.next() == .lagged(total - 8))
            var delivered: [UInt64] = []
            for _ in 0..<8 {
                if case .event(let event) = await iterator.next() { delivered.append(event.seq) }
            }
            #expect(delivered == Array((total - 7)...total))
            #expect(scheduler.events.droppedEvents() == ["slow": total - 8])
        }
    }

    @Test func aBatchTakesWhatIsBufferedAfterTheFirstWithoutWaiting() async throws {
        let stream = try EventStream()
        let subscription = stream.subscribe(consumer: "writer")
        for index in 1...5 { stream.publish(JobEvent(kind: .log, message: "\(index)")) }
        let first = await subscription.nextBatch(upTo: 3)
        #expect(first.compactMap { if case .event(let e) = $0 { e.seq } else { nil } } == [1, 2, 3] as [UInt64])
        let rest = await subscription.nextBatch(upTo: 10)
        #expect(rest.count == 2)
        subscription.cancel()
        #expect(await subscription.nextBatch(upTo: 10).isEmpty)
    }

    @Test func sequenceNumbersCanContinueFromAnEarlierRun() throws {
        let stream = try EventStream(configuration: EventStream.Configuration(firstSeq: 42))
        #expect(stream.lastSeq == 41)
        #expect(stream.publish(JobEvent(kind: .log, message: "resumed")).seq == 42)
        #expect(stream.lastSeq == 42)
        #expect(throws: JobError.self) { try EventStream(configuration: EventStream.Configuration(firstSeq: 0)) }
    }

    @Test func aSubscriberCanResumeFromASequenceNumber() async throws {
        let stream = try EventStream(configuration: EventStream.Configuration(historyCapacity: 5))
        for index in 1...8 { stream.publish(JobEvent(kind: .log, message: "line \(index)")) }
        // Events 4…8 are retained; asking from 5 replays 6…8, asking from 1 reports 2…3 as lost.
        let recent = stream.subscribe(consumer: "api", since: 5)
        let old = stream.subscribe(consumer: "api", since: 1)
        stream.publish(JobEvent(kind: .log, message: "line 9"))
        let recentElements = await drain(recent, count: 4)
        #expect(recentElements.map(\.seq) == [6, 7, 8, 9] as [UInt64])
        let oldElements = await drainElements(old, count: 7)
        #expect(oldElements.first == .lagged(2))
        #expect(
            oldElements.dropFirst().compactMap { if case .event(let e) = $0 { e.seq } else { nil } } == [
                4, 5, 6, 7, 8, 9,
            ] as [UInt64])
    }

    /// The history keeps the scheduler's activities as they came and builds their events when read: a
    /// replay must give exactly what a live subscriber got, published events in between included.
    @Test func replayedSchedulerEventsEqualTheLiveOnes() async throws {
        let (_, jobClock) = manualClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock)
        try await withRunningScheduler(scheduler) { scheduler in
            let live = scheduler.events.subscribe(consumer: "test")
            let first = try scheduler.spawnBlocking(
                "first", options: TaskOptions(jobType: "extract", correlationID: "r1")
            ) { ctx in
                ctx.progress(0.5, "half")
                ctx.log(.info, "line", metadata: ["n": 1])
            }
            _ = await first.result()
            scheduler.events.publish(JobEvent(kind: EventKind("daemon_note"), message: "between"))
            let second = try scheduler.spawnBlocking("second") { _ in throw TaskError.fatal("no") }
            _ = await second.result()

            // queued, started, progress, log, succeeded, the note, queued, started, failed.
            let received = await drain(live, count: 9)
            #expect(
                received.map(\.kind.rawValue) == [
                    "queued", "started", "progress", "log", "succeeded", "daemon_note", "queued", "started", "failed",
                ])
            #expect(scheduler.events.history() == received)
            let replay = scheduler.events.subscribe(consumer: "test", since: received[3].seq)
            #expect(await drain(replay, count: 5) == Array(received[4...]))
        }
    }
    @Test func filtersApplyBeforeBuffering() async throws {
        let stream = try EventStream()
        let logs = stream.subscribe(consumer: "logs", bufferSize: 2) { $0.kind == .log }
        stream.publish(JobEvent(kind: .started))
        stream.publish(JobEvent(kind: .log, message: "a"))
        stream.publish(JobEvent(kind: .succeeded))
        stream.publish(JobEvent(kind: .log, message: "b"))
        #expect(await drain(logs, count: 2).map(\.message) == ["a", "b"])
        #expect(stream.droppedEvents() == ["logs": 0])
    }

    @Test func endingASubscriptionRemovesIt() async throws {
        let stream = try EventStream()
        do {
            let subscription = stream.subscribe(consumer: "short")
            #expect(stream.subscriberCount == 1)
            subscription.cancel()
            var iterator = subscription.makeAsyncIterator()
            #expect(await iterator.next() == nil)
        }
        #expect(stream.subscriberCount == 0)
        // Dropping the last reference ends it too.
        _ = stream.subscribe(consumer: "dropped")
        #expect(stream.subscriberCount == 0)
    }

    @Test func eventsEncodeAsTheDocumentedJSON() throws {
        var event = JobEvent(
            kind: .failed,
            task: TaskRef(id: TaskID(rawValue: 7), name: "digest", jobType: "digest", correlationID: "r1"),
            attempt: 2, duration: 1.5, error: "exit 3")
        event.seq = 12
        event.time = testEpoch
        let data = try JSONEncoder().encode(event)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["seq"] as? Int == 12)
        #expect(object["time"] as? String == "2023-11-14T22:13:20.000Z")
        #expect(object["kind"] as? String == "failed")
        #expect(object["task"] as? String == "t7")
        #expect(object["job"] as? String == "digest")
        #expect(object["run"] as? String == "r1")
        #expect(object["level"] == nil)
        #expect(try JSONDecoder().decode(JobEvent.self, from: data) == event)
    }

    @Test func invalidStreamSettingsAreRejected() {
        #expect(
            jobError { _ = try EventStream(configuration: .init(historyCapacity: -1)) }?.code == .invalidConfiguration)
        #expect(
            jobError { _ = try EventStream(configuration: .init(subscriberBufferSize: 0)) }?.code
                == .invalidConfiguration)
    }
}

/// Reads `count` elements (they are expected to be buffered already).
private func drainElements(_ subscription: EventSubscription, count: Int) async -> [EventStreamElement] {
    var iterator = subscription.makeAsyncIterator()
    var elements: [EventStreamElement] = []
    for _ in 0..<count {
        guard let element = await iterator.next() else { break }
        elements.append(element)
    }
    return elements
}

private func drain(_ subscription: EventSubscription, count: Int) async -> [JobEvent] {
    await drainElements(subscription, count: count).compactMap { if case .event(let event) = $0 { event } else { nil } }
}
