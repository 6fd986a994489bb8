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

    func runner(_ text: String = pipeline) throws -> PipelineRunner {
        let config = try MemorydConfig.parse(text, file: "p.toml", environment: [:])
        return PipelineRunner(
            config: config, scheduler: try Scheduler(SchedulerConfiguration(workers: 2)))
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

    @Test func dailyAndCronSchedulesWaitForTheNextOccurrenceInTheirZone() throws {
        let berlin = try ZoneInfo.load("Europe/Berlin")
        // 2026-11-25 02:30 in Berlin (UTC+1) is 01:30 UTC.
        let now = Date(timeIntervalSince1970: TimeInterval(CronExpressionTests.utc(2026, 11, 25, 1, 30)))
        #expect(PipelineRunner.delayUntilNext(.daily(hour: 3, minute: 0), in: berlin, after: now) == .seconds(30 * 60))
        // Past today's time: tomorrow.
        #expect(
            PipelineRunner.delayUntilNext(.daily(hour: 2, minute: 0), in: berlin, after: now)
                == .seconds(23 * 3600 + 30 * 60))
        #expect(PipelineRunner.delayUntilNext(.every(.seconds(90)), in: berlin, after: now) == .seconds(90))
        let quarterly = MemorydConfig.Schedule.cron(try CronExpression("*/15 * * * *"))
        #expect(
            PipelineRunner.delayUntilNext(quarterly, in: berlin, after: now.addingTimeInterval(0.25))
                == .milliseconds(15 * 60_000 - 250))
    }

    @Test func schedulesAndTimeZonesAreCheckedWithTheirColumn() throws {
        func errors(_ job: String) -> [String] {
            do {
                _ = try MemorydConfig.parse("[jobs.a]\ncommand = [\"true\"]\n" + job, file: "c.toml", environment: [:])
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("schedule = \"*/15 9-17 * * MON-FRI\"\ntimezone = \"America/New_York\"\n").isEmpty)
        #expect(errors("schedule = \"@hourly\"\n").isEmpty)
        #expect(
            errors("schedule = \"0 25 * * *\"\n") == [
                "c.toml:3:15: jobs.a.schedule = \"0 25 * * *\": 25 is out of range for the hour; use 0-23"
            ])
        #expect(errors("schedule = \"0 0 31 2 *\"\n").first?.contains("no date matches") == true)
        #expect(errors("schedule = \"weekly\"\n").first?.contains("not a schedule") == true)
        let zone = errors("schedule = \"@daily\"\ntimezone = \"Europe/Berln\"\n")
        #expect(zone.first?.hasPrefix("c.toml:4:12: jobs.a.timezone: no time zone 'Europe/Berln'") == true, "\(zone)")
        #expect(zone.first?.hasSuffix("did you mean 'Europe/Berlin'?") == true, "\(zone)")
    }
}
