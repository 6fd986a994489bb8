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
    func start(_ toml: String, at wallTime: Date, store: TaskStore) async throws -> Int {
        let config = try MemorydConfig.parse(toml, file: "s.toml", environment: [:])
        let clock = ManualClock()
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: 1), clock: JobClock(clock, wallClockOrigin: wallTime))
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
