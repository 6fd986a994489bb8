import Foundation
import Jobkit
import JobkitTesting
import Testing

@testable import MemorydCore

@Suite(.timeLimit(.minutes(1)))
struct PipelineRunnerTests {
    static let pipeline = """
        [jobs.extract]
        command = ["sh", "-c", "exit 1"]
        [jobs.consolidate]
        command = ["true"]
        depends_on = ["extract"]
        [jobs.digest]
        command = ["true"]
        depends_on = ["consolidate"]
        [jobs.other]
        command = ["true"]
        """

    func runner(_ text: String = pipeline, calendar: Calendar = .current) throws -> PipelineRunner {
        let config = try MemorydConfig.parse(text, file: "p.toml", environment: [:])
        return PipelineRunner(
            config: config, scheduler: try Scheduler(SchedulerConfiguration(workers: 2)), calendar: calendar)
    }

    @Test func aRunIsTheJobAndEverythingDownstreamOfIt() throws {
        let runner = try runner()
        #expect(runner.downstream(of: "extract") == ["extract", "consolidate", "digest"])
        #expect(runner.downstream(of: "consolidate") == ["consolidate", "digest"])
        #expect(runner.downstream(of: "other") == ["other"])
    }

    @Test func whenAJobFailsItsDownstreamJobsAreSkippedAndShareTheRunID() async throws {
        let runner = try runner()
        let run = try await withRunningScheduler(runner.scheduler) { _ in
            let run = try runner.startRun(of: "extract")
            for handle in run.tasks.values { _ = await handle.result() }
            return run
        }
        #expect(Set(run.tasks.keys) == ["extract", "consolidate", "digest"])
        #expect(run.tasks["extract"]?.finishedResult?.outcome == .failed)
        #expect(run.tasks["consolidate"]?.finishedResult?.outcome == .skipped)
        #expect(run.tasks["digest"]?.finishedResult?.outcome == .skipped)
        #expect(run.id.hasPrefix("run-"))
        #expect(throws: JobError.self) { try runner.startRun(of: "ghost") }
    }

    @Test func dailySchedulesWaitForTheNextLocalOccurrence() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
        let runner = try runner(calendar: calendar)
        // 2026-11-25 02:30 in Berlin (UTC+1) is 01:30 UTC.
        let now = try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 25, hour: 2, minute: 30)))
        #expect(runner.delayUntilNext(.daily(hour: 3, minute: 0), after: now) == .seconds(30 * 60))
        // Past today's time: tomorrow.
        #expect(runner.delayUntilNext(.daily(hour: 2, minute: 0), after: now) == .seconds(23 * 3600 + 30 * 60))
        #expect(runner.delayUntilNext(.every(.seconds(90)), after: now) == .seconds(90))
    }
}
