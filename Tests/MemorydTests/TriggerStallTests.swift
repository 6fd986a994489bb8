import Dispatch
import Foundation
import Jobkit
import JobkitDaemon
import JobkitTesting
import Testing

@testable import MemorydCore

/// Triggers wait for the queue's disk without holding Swift's cooperative threads: with the queue's
/// database locked by another connection (as a backup tool or `sqlite3` would hold it), schedules that
/// record their first fire block, and the rest of the process must go on.
@Suite(.timeLimit(.minutes(1)))
struct TriggerStallTests {
    /// More scheduled jobs than the cooperative pool has threads, each writing when its schedule begins.
    static let scheduledJobs = ProcessInfo.processInfo.activeProcessorCount + 1
    /// How long the database stays locked; shorter than SQLite's busy timeout, so the waiting writes
    /// succeed once it is released.
    static let lockedFor: Duration = .milliseconds(1500)
    /// The longest a new task may wait for a cooperative thread while the triggers are blocked. Blocked
    /// triggers on the pool would hold it for the whole lock.
    static let toleratedDelay: Duration = .milliseconds(750)

    @Test func schedulesBlockedOnALockedQueueLeaveTheCooperativePoolFree() async throws {
        let directory = try makeTemporaryDirectory("trigger-stall")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try TaskStore(directory: directory.path)
        let jobs = (0..<Self.scheduledJobs).map { "job\($0)" }
        let toml = jobs.map { "[jobs.\($0)]\ncommand = [\"true\"]\nschedule = \"every 1h\"\n" }.joined()
        let config = try MemorydConfig.parse(toml, file: "stall.toml", environment: [:])
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: JobClock(ManualClock()))
        let state = ConfigState(path: nil, config: config, scheduler: scheduler, store: store)

        let locker = try SQLiteDatabase(path: directory.path + "/" + TaskStore.fileName)
        try locker.execute("BEGIN IMMEDIATE")
        let diskIO = ThreadTaskExecutor(name: "test-io")
        defer { diskIO.shutdown() }
        let triggers = Task { await state.runTriggers(on: diskIO) { _ in } }

        let worst = await CooperativePoolProbe.worstDelay(over: Self.lockedFor)
        // Nothing was written while locked: the schedules were still waiting for the database.
        let written = try locker.execute("SELECT count(*) FROM schedule_fires")
        try locker.execute("ROLLBACK")
        #expect(written.first?[0].integer == 0)
        #expect(
            worst < Self.toleratedDelay,
            "a new task waited \(worst) for a cooperative thread while the triggers waited for the queue")

        // Released, every schedule records its start.
        let deadline = ContinuousClock.now + .seconds(10)
        while try jobs.contains(where: { try store.lastFire(of: $0) == nil }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try jobs.allSatisfy { try store.lastFire(of: $0) != nil })
        triggers.cancel()
        await triggers.value
    }
}

/// Measures how long new tasks wait for one of Swift's cooperative threads, from a thread of its own
/// (so the measurement does not need the pool it measures).
enum CooperativePoolProbe {
    /// Time between two probes.
    static let interval: Duration = .milliseconds(50)

    /// Starts a task every ``interval`` for `window` and returns the longest any waited to run (the
    /// rest of the window for one that never ran).
    static func worstDelay(over window: Duration) async -> Duration {
        await withCheckedContinuation { continuation in
            Thread {
                let clock = ContinuousClock()
                let end = clock.now + window
                var worst = Duration.zero
                while clock.now < end {
                    let ran = DispatchSemaphore(value: 0)
                    let started = clock.now
                    Task.detached { ran.signal() }
                    _ = ran.wait(timeout: .now() + max((end - started).seconds, 0))
                    worst = max(worst, clock.now - started)
                    Thread.sleep(forTimeInterval: interval.seconds)
                }
                continuation.resume(returning: worst)
            }.start()
        }
    }
}
