import Foundation
import Jobkit
import JobkitDaemon
import JobkitTesting
import Synchronization
import Testing

@testable import MemorydCore

/// Triggers wait for the queue's disk on the daemon's disk thread, never on one of Swift's cooperative
/// threads: a schedule records its fire (a SQLite commit with fsync) and then sleeps until the next, and
/// both happen on the thread it was given. On the pool, a few schedules waiting for a slow or locked
/// queue would hold every cooperative thread (one per core) and stall the whole process.
@Suite(.timeLimit(.minutes(1)))
struct TriggerStallTests {
    /// More scheduled jobs than the cooperative pool has threads, each writing when its schedule begins.
    static let scheduledJobs = ProcessInfo.processInfo.activeProcessorCount + 1
    static let diskThread = "test-io"

    @Test func schedulesWriteTheQueueAndWaitOnTheDiskThread() async throws {
        let directory = try makeTemporaryDirectory("trigger-thread")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try TaskStore(directory: directory.path)
        let jobs = (0..<Self.scheduledJobs).map { "job\($0)" }
        let toml = jobs.map { "[jobs.\($0)]\ncommand = [\"true\"]\nschedule = \"every 1h\"\n" }.joined()
        let config = try MemorydConfig.parse(toml, file: "stall.toml", environment: [:])
        let clock = ThreadRecordingClock()
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: JobClock(clock))
        let state = ConfigState(path: nil, config: config, scheduler: scheduler, store: store)

        // The queue is locked by another connection (as `sqlite3` or a backup would hold it) when the
        // schedules begin, so their first writes wait for it.
        let locker = try SQLiteDatabase(path: directory.path + "/" + TaskStore.fileName)
        try locker.execute("BEGIN IMMEDIATE")
        let diskIO = ThreadTaskExecutor(name: Self.diskThread)
        defer { diskIO.shutdown() }
        let triggers = Task { await state.runTriggers(on: diskIO) { _ in } }
        try locker.execute("ROLLBACK")

        // Each schedule sleeps towards its next fire once its first fire is recorded.
        await clock.base.waitForSleepers(jobs.count)
        #expect(try jobs.allSatisfy { try store.lastFire(of: $0) != nil })
        let threads = clock.sleepingThreads()
        #expect(threads.count == jobs.count)
        #expect(Set(threads) == [Self.diskThread], "schedules ran on \(Set(threads))")
        triggers.cancel()
        await triggers.value
    }
}

/// A manual clock that notes the thread each `sleep` is called on: the thread the sleeping task's code
/// runs on.
final class ThreadRecordingClock: Clock, Sendable {
    typealias Instant = ManualClock.Instant
    typealias Duration = Swift.Duration

    let base = ManualClock()
    private let threads = Mutex<[String]>([])

    var now: Instant { base.now }
    var minimumResolution: Duration { base.minimumResolution }

    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let name = Self.currentThreadName()
        threads.withLock { $0.append(name) }
        try await base.sleep(until: deadline, tolerance: tolerance)
    }

    /// The threads of the `sleep` calls so far, in order.
    func sleepingThreads() -> [String] { threads.withLock { $0 } }

    private static func currentThreadName() -> String {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}
