import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct StarvationTests {
    /// Three of four workers block their threads; the fourth keeps working through the queue, and the
    /// caller's own async code (which needs Swift's cooperative pool, only two threads on two cores)
    /// keeps running: blocking jobs live on worker threads, not on that pool.
    @Test func blockedWorkersStarveNeitherOtherTasksNorTheCallersAsyncCode() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 4))
        let gate = Gate()
        try await withRunningScheduler(scheduler) { scheduler in
            let blockers = try (0..<3).map { index in
                try scheduler.spawnBlocking("blocker-\(index)") { _ in gate.wait() }
            }
            await gate.waitForArrivals(3)

            let completed = Atomic<Int>(0)
            var others: [TaskHandle] = []
            for index in 0..<40 {
                if index.isMultiple(of: 2) {
                    others.append(
                        try scheduler.spawnBlocking("blocking-\(index)") { _ in completed.add(1, ordering: .relaxed) })
                } else {
                    others.append(
                        try scheduler.spawn("async-\(index)") { _ in
                            await Task.yield()
                            completed.add(1, ordering: .relaxed)
                        })
                }
            }

            // The caller's async code: a fan-out of child tasks that each hop through the cooperative pool.
            let childTasksFinished = await withTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        await Task.yield()
                        return index
                    }
                }
                return await group.reduce(0) { count, _ in count + 1 }
            }
            #expect(childTasksFinished == 200)

            for handle in others { #expect(await handle.result().outcome == .succeeded) }
            #expect(completed.load(ordering: .relaxed) == 40)
            // All of it happened while three workers were still blocked.
            #expect(scheduler.workers().filter(\.busy).count == 3)
            #expect(blockers.allSatisfy { $0.finishedResult == nil })

            gate.open(3)
            for blocker in blockers { #expect(await blocker.result().outcome == .succeeded) }
        }
    }
}
