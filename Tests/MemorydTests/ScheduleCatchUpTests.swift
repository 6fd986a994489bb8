import Foundation
import Jobkit
import JobkitTesting
import Testing

@testable import MemorydCore

/// Missed scheduled runs, on a manual clock and a real queue database: a restart after downtime makes
/// up one run, a second quick restart none, and `catch_up = false` none at all.
@Suite(.timeLimit(.minutes(1)))
struct ScheduleCatchUpTests {
    /// 2026-12-02 10:00:00 UTC.
    static let origin = Date(timeIntervalSince1970: 1_796_205_600)

    /// One start of the daemon's schedules at `wallTime`: runs `job`'s schedule until it sleeps for its
    /// next fire, and returns how many runs it started.
    func start(_ toml: String, at wallTime: Date, store: TaskStore, paused: String? = nil) async throws -> Int {
        let config = try MemorydConfig.parse(toml, file: "s.toml", environment: [:])
        let clock = ManualClock()
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: 1), clock: JobClock(clock, wallClockOrigin: wallTime))
        if let paused { scheduler.pause(jobType: paused) }
        let runner = PipelineRunner(config: config, scheduler: scheduler, store: store, localZone: .utc)
        let schedules = Task { await runner.runSchedules() }
        // Once it sleeps towards the next fire, whatever it makes up has been started.
        await clock.waitForSleepers(1)
        schedules.cancel()
        await schedules.value
        return scheduler.tasks().count
    }

    static let daily = """
        [jobs.report]
        command = ["true"]
        schedule = "daily 03:00"
        """

    @Test func aDailyRunMissedWhileDownRunsOnceAfterStartAndNotAgainAfterAQuickRestart() async throws {
        let directory = try makeTemporaryDirectory("catch-up")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try TaskStore(directory: directory.path)
        // The first start begins the schedule: nothing to make up.
        #expect(try await start(Self.daily, at: Self.origin, store: store) == 0)
        // Down over the next 03:00: one run at start.
        let nextDay = Self.origin.addingTimeInterval(86_400)
        #expect(try await start(Self.daily, at: nextDay, store: store) == 1)
        // Two quick restarts after that: nothing more.
        #expect(try await start(Self.daily, at: nextDay.addingTimeInterval(5), store: store) == 0)
        #expect(try await start(Self.daily, at: nextDay.addingTimeInterval(10), store: store) == 0)
        // Down over three 03:00s: still one run.
        #expect(try await start(Self.daily, at: nextDay.addingTimeInterval(3 * 86_400), store: store) == 1)
    }

    @Test func catchUpFalseSkipsTheMissedRun() async throws {
        let directory = try makeTemporaryDirectory("catch-up-off")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try TaskStore(directory: directory.path)
        let toml = Self.daily + "\ncatch_up = false\n"
        #expect(try await start(toml, at: Self.origin, store: store) == 0)
        #expect(try await start(toml, at: Self.origin.addingTimeInterval(86_400), store: store) == 0)
    }

    @Test func aPausedJobHoldsItsTriggersOrDropsThem() async throws {
        let directory = try makeTemporaryDirectory("catch-up-paused")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try TaskStore(directory: directory.path)
        let hold = Self.daily
        let drop = Self.daily + "\npaused_triggers = \"drop\"\n"
        #expect(try await start(hold, at: Self.origin, store: store) == 0)
        // Held: the made-up run is queued (its task waits for the resume).
        #expect(try await start(hold, at: Self.origin.addingTimeInterval(86_400), store: store, paused: "report") == 1)
        // Dropped: nothing is queued, and the fire counts, so nothing is made up later either.
        #expect(try await start(drop, at: Self.origin.addingTimeInterval(2 * 86_400), store: store, paused: "report") == 0)
        #expect(try await start(drop, at: Self.origin.addingTimeInterval(2 * 86_400 + 60), store: store) == 0)
    }

    @Test func anIntervalKeepsItsCadenceAcrossARestart() async throws {
        let directory = try makeTemporaryDirectory("catch-up-every")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try TaskStore(directory: directory.path)
        let toml = "[jobs.sync]\ncommand = [\"true\"]\nschedule = \"every 1h\"\n"
        #expect(try await start(toml, at: Self.origin, store: store) == 0)
        // Back after 30 minutes: the hour is not over, nothing runs yet.
        #expect(try await start(toml, at: Self.origin.addingTimeInterval(1800), store: store) == 0)
        // Back after 90 minutes: the run due at 11:00 is made up.
        #expect(try await start(toml, at: Self.origin.addingTimeInterval(5400), store: store) == 1)
        #expect(try store.lastFire(of: "sync") == Self.origin.addingTimeInterval(5400))
    }

    @Test func jitterDelaysAreWithinTheirBoundAndSpread() {
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<1000).map { _ in PipelineRunner.jitterDelay(.seconds(300), using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 < .seconds(300) })
        #expect(delays.contains { $0 < .seconds(60) } && delays.contains { $0 > .seconds(240) })
        #expect(PipelineRunner.jitterDelay(nil, using: &generator) == .zero)
    }
}

/// `unique` and `max_concurrent`: equal runs refused while one is pending or running, and a job's own cap.
struct UniqueRunTests {
    static let toml = """
        [jobs.ingest]
        command = ["true"]
        unique = ["file"]
        max_concurrent = 2
        [jobs.any]
        command = ["true"]
        unique = "params"
        """

    func runner() throws -> PipelineRunner {
        let config = try MemorydConfig.parse(Self.toml, file: "u.toml", environment: [:])
        let pools = Dictionary(config.pools.map { ($0.name, $0.slots) }, uniquingKeysWith: { first, _ in first })
        return PipelineRunner(config: config, scheduler: try Scheduler(SchedulerConfiguration(workers: 2, pools: pools)))
    }

    @Test func anEqualRunIsRefusedWhileTheFirstIsPendingAndAllowedOnceItFinished() async throws {
        let runner = try runner()
        // The scheduler is not running yet: the first run stays pending.
        let first = try runner.startRun(of: "ingest", parameters: ["file": "a.jsonl", "note": "x"])
        do {
            _ = try runner.startRun(of: "ingest", parameters: ["file": "a.jsonl", "note": "other"])
            Issue.record("an equal run was started")
        } catch let error as PipelineRunner.DuplicateRun {
            #expect(error.run == first.id && error.job == "ingest")
        }
        // Another file is other work; for unique = "params" every parameter counts.
        _ = try runner.startRun(of: "ingest", parameters: ["file": "b.jsonl"])
        _ = try runner.startRun(of: "any", parameters: ["a": "1"])
        _ = try runner.startRun(of: "any", parameters: ["a": "2"])
        #expect(throws: PipelineRunner.DuplicateRun.self) { try runner.startRun(of: "any", parameters: ["a": "1"]) }
        try await withRunningScheduler(runner.scheduler) { _ in
            for handle in first.tasks.values { _ = await handle.result() }
            #expect(throws: Never.self) { _ = try runner.startRun(of: "ingest", parameters: ["file": "a.jsonl"]) }
        }
    }

    @Test func maxConcurrentIsAPoolOfTheJobsOwn() throws {
        let config = try MemorydConfig.parse(Self.toml, file: "u.toml", environment: [:])
        #expect(config.pools.contains { $0.name == "job:ingest" && $0.slots == 2 })
        #expect(config.job("ingest")?.pools == ["job:ingest": 1])
        #expect(config.job("any")?.pools.isEmpty == true)
        func errors(_ text: String) -> [String] {
            do {
                _ = try MemorydConfig.parse(text, file: "u.toml", environment: [:])
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("[pools.\"job:x\"]\nslots = 1\n").first?.contains("are the jobs' own") == true)
        #expect(errors("[jobs.a]\ncommand = [\"true\"]\nunique = 3\n").first?.contains(#"must be "params" or a list"#) == true)
        #expect(errors("[jobs.a]\ncommand = [\"true\"]\nmax_concurrent = 0\n").first?.contains("at least 1") == true)
    }
}
