import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct PoolTests {
    @Test func aPoolLimitsHowManyTasksRunAtOnce() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 4, pools: ["llm": 1]))
        let inPool = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        try await withRunningScheduler(scheduler) { scheduler in
            let handles = try (0..<30).map { index in
                try scheduler.spawnBlocking("llm-\(index)", options: TaskOptions(pools: ["llm": 1])) { _ in
                    let now = inPool.add(1, ordering: .sequentiallyConsistent).newValue
                    peak.max(now, ordering: .sequentiallyConsistent)
                    inPool.subtract(1, ordering: .sequentiallyConsistent)
                }
            }
            for handle in handles { #expect(await handle.result().outcome == .succeeded) }
        }
        let highest = peak.load(ordering: .relaxed)
        #expect(highest == 1)
    }

    /// The textbook deadlock: one task holds `a` and wants `b`, the other holds `b` and wants `a`.
    /// Slots are granted all at once, never one pool at a time, so neither can hold half.
    @Test func twoTasksNeedingTheSamePoolsInOppositeOrderBothFinish() async throws {
        let recorder = RecordingJobObserver()
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: 4, pools: ["a": 1, "b": 1]), observers: [recorder])
        let gate = Gate()
        try await withRunningScheduler(scheduler) { scheduler in
            // Occupy each pool separately so both contenders have to queue.
            let holdA = try scheduler.spawnBlocking("hold-a", options: TaskOptions(pools: ["a": 1])) { _ in gate.wait()
            }
            let holdB = try scheduler.spawnBlocking("hold-b", options: TaskOptions(pools: ["b": 1])) { _ in gate.wait()
            }
            await gate.waitForArrivals(2)
            let ab = try scheduler.spawnBlocking("a-then-b", options: TaskOptions(pools: ["a": 1, "b": 1])) { _ in }
            let ba = try scheduler.spawnBlocking("b-then-a", options: TaskOptions(pools: ["b": 1, "a": 1])) { _ in }
            #expect(try scheduler.status(of: ab.id).state == .waiting)
            #expect(try scheduler.status(of: ba.id).state == .waiting)
            #expect(
                scheduler.pools() == [
                    PoolStatus(name: "a", slots: 1, inUse: 1, waiting: 2),
                    PoolStatus(name: "b", slots: 1, inUse: 1, waiting: 2),
                ])
            gate.open(2)
            for handle in [holdA, holdB, ab, ba] { #expect(await handle.result().outcome == .succeeded) }
            #expect(scheduler.pools().allSatisfy { $0.inUse == 0 && $0.waiting == 0 })
        }
        // Each contender got both of its slots in one grant.
        for name in ["a-then-b", "b-then-a"] {
            let id = try #require(scheduler.tasks().first { $0.name == name }?.id)
            let acquired = recorder.activities {
                if case .poolAcquired(let task, _, _, _) = $0 { task.id == id } else { false }
            }
            #expect(acquired.count == 2)
        }
    }

    @Test func manyTasksOverlappingOnTwoPoolsNeverDeadlockOrOverfill() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 4, pools: ["a": 2, "b": 1]))
        let inUse = Mutex(["a": 0, "b": 0])
        let overfilled = Atomic<Bool>(false)
        try await withRunningScheduler(scheduler) { scheduler in
            var handles: [TaskHandle] = []
            for index in 0..<300 {
                let needs: [String: Int] =
                    switch index % 3 {
                    case 0: ["a": 1, "b": 1]
                    case 1: ["b": 1, "a": 2]
                    default: ["a": 1]
                    }
                handles.append(
                    try scheduler.spawnBlocking("t\(index)", options: TaskOptions(pools: needs)) { _ in
                        inUse.withLock { use in
                            for (pool, slots) in needs { use[pool]! += slots }
                            if use["a"]! > 2 || use["b"]! > 1 { overfilled.store(true, ordering: .relaxed) }
                        }
                        inUse.withLock { use in for (pool, slots) in needs { use[pool]! -= slots } }
                    })
            }
            for handle in handles { #expect(await handle.result().outcome == .succeeded) }
        }
        let wasOverfilled = overfilled.load(ordering: .relaxed)
        #expect(!wasOverfilled)
    }

    @Test func poolWaitTimeIsMeasuredAndReported() async throws {
        let (clock, jobClock) = manualClock()
        let recorder = RecordingJobObserver()
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: 2, pools: ["llm": 1]), clock: jobClock, observers: [recorder])
        let gate = Gate()
        try await withRunningScheduler(scheduler) { scheduler in
            let holder = try scheduler.spawnBlocking("holder", options: TaskOptions(pools: ["llm": 1])) { _ in
                gate.wait()
            }
            await gate.waitForArrivals(1)
            let waiter = try scheduler.spawnBlocking("waiter", options: TaskOptions(pools: ["llm": 1])) { _ in }
            #expect(try scheduler.status(of: waiter.id).state == .waiting)
            clock.advance(by: .seconds(7))
            gate.open()
            #expect(await waiter.result().outcome == .succeeded)
            #expect(await holder.result().outcome == .succeeded)

            let activities = recorder.activities
            #expect(activities.contains(.poolAcquired(ref(holder), pool: "llm", slots: 1, waited: .zero)))
            #expect(activities.contains(.poolWaitBegan(ref(waiter), pool: "llm", slots: 1)))
            #expect(activities.contains(.poolAcquired(ref(waiter), pool: "llm", slots: 1, waited: .seconds(7))))
            #expect(activities.contains(.poolReleased(ref(holder), pool: "llm", slots: 1)))
        }
    }

    @Test func unknownPoolsAndBadSlotCountsAreErrorsNamingThem() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1, pools: ["llm": 2]))
        let unknown = jobError { try scheduler.spawnBlocking("x", options: TaskOptions(pools: ["gpu": 1])) { _ in } }
        #expect(unknown?.code == .unknownPool)
        #expect(unknown?.message.contains("'gpu'") == true)
        #expect(unknown?.message.contains("llm") == true)
        for slots in [0, -1, 3] {
            let error = jobError {
                try scheduler.spawnBlocking("x", options: TaskOptions(pools: ["llm": slots])) { _ in }
            }
            #expect(error?.code == .invalidSlots)
            #expect(error?.message.contains("\(slots) slots of pool 'llm'") == true)
        }
        #expect(scheduler.tasks().isEmpty)
    }

    @Test(arguments: [0, -3])
    func aPoolWithoutSlotsIsAConfigurationError(slots: Int) {
        let error = jobError { _ = try Scheduler(SchedulerConfiguration(workers: 1, pools: ["llm": slots])) }
        #expect(error?.code == .invalidSlots)
        #expect(error?.message == "pool 'llm' has \(slots) slots; a pool needs at least 1")
    }
}
