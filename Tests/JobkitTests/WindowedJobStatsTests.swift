import Jobkit
import JobkitTesting
import Testing

@Suite(.timeLimit(.minutes(1)))
struct WindowedJobStatsTests {
    func task(_ jobType: String) -> TaskRef {
        TaskRef(id: TaskID(rawValue: 1), name: jobType, jobType: jobType, correlationID: nil)
    }

    @Test func ratesOutcomesAndSuccessRatioArePerWindow() throws {
        let (clock, jobClock) = manualClock()
        let stats = try WindowedJobStats(clock: jobClock)
        let ingest = task("ingest")
        for _ in 0..<6 {
            stats.observe(.finished(ingest, outcome: .succeeded, attempt: 1, duration: .seconds(1), error: nil))
        }
        stats.observe(.finished(ingest, outcome: .failed, attempt: 1, duration: .seconds(1), error: "boom"))
        stats.observe(.finished(ingest, outcome: .timedOut, attempt: 1, duration: .seconds(9), error: nil))
        stats.observe(.finished(ingest, outcome: .cancelled, attempt: 1, duration: nil, error: nil))
        clock.advance(by: .seconds(120))
        for _ in 0..<3 {
            stats.observe(.finished(ingest, outcome: .succeeded, attempt: 1, duration: .seconds(2), error: nil))
        }

        let snapshot = stats.snapshot()
        #expect(snapshot.map(\.jobType) == ["ingest"])
        let (minute, fiveMinutes, hour) = (snapshot[0].windows[0], snapshot[0].windows[1], snapshot[0].windows[2])
        #expect(minute.windowSeconds == 60)
        #expect(minute.outcomes == ["succeeded": 3])
        #expect(minute.successRatio == 1)
        #expect(minute.finishedPerSecond == 3.0 / 60)
        #expect(fiveMinutes.outcomes == ["succeeded": 9, "failed": 1, "timed_out": 1, "cancelled": 1])
        #expect(fiveMinutes.successRatio == 9.0 / 11)
        // Only 120 s have passed: the longer windows divide by that, not by their full length.
        #expect(fiveMinutes.finishedPerSecond == 12.0 / 120)
        #expect(hour.finishedPerSecond == 12.0 / 120)
    }

    @Test func quantilesAreWithinTheBucketPrecisionAndExactForOneValue() throws {
        let (_, jobClock) = manualClock()
        let stats = try WindowedJobStats(clock: jobClock)
        for seconds in 1...100 {
            stats.observe(
                .finished(task("digest"), outcome: .succeeded, attempt: 1, duration: .seconds(seconds), error: nil))
        }
        stats.observe(
            .finished(task("decay"), outcome: .succeeded, attempt: 1, duration: .milliseconds(370), error: nil))

        let snapshot = stats.snapshot()
        let decay = snapshot[0].windows[0].durationQuantiles
        #expect(decay == ["0.5": 0.37, "0.9": 0.37, "0.99": 0.37])
        let digest = snapshot[1].windows[0].durationQuantiles
        for (key, expected) in [("0.5", 50.0), ("0.9", 90.0), ("0.99", 99.0)] {
            let value = try #require(digest[key])
            #expect(abs(value - expected) / expected < 0.05, "p\(key) = \(value)")
        }
    }

    @Test func jobsWithNothingInTheLongestWindowDropOut() throws {
        let (clock, jobClock) = manualClock()
        let stats = try WindowedJobStats(clock: jobClock)
        stats.observe(.finished(task("old"), outcome: .skipped, attempt: 0, duration: nil, error: nil))
        clock.advance(by: .seconds(30 * 60))
        let halfAnHour = try #require(stats.snapshot().first)
        #expect(halfAnHour.windows[0].outcomes.isEmpty)
        #expect(halfAnHour.windows[0].successRatio == nil)
        #expect(halfAnHour.windows[0].durationQuantiles.isEmpty)
        #expect(halfAnHour.windows[2].outcomes == ["skipped": 1])
        clock.advance(by: .seconds(31 * 60))
        #expect(stats.snapshot().isEmpty)
    }

    @Test func badConfigurationsAreRefused() {
        let (_, jobClock) = manualClock()
        #expect(throws: JobError.self) { try WindowedJobStats(clock: jobClock, configuration: .init(windows: [])) }
        #expect(throws: JobError.self) {
            try WindowedJobStats(clock: jobClock, configuration: .init(windows: [.seconds(1)], slice: .seconds(5)))
        }
        #expect(throws: JobError.self) { try WindowedJobStats(clock: jobClock, configuration: .init(quantiles: [1])) }
        #expect(throws: JobError.self) {
            try WindowedJobStats(clock: jobClock, configuration: .init(bucketGrowth: 1))
        }
    }

    @Test func aSchedulerFeedsItThroughTheObserverHooks() async throws {
        let (_, jobClock) = manualClock()
        let stats = try WindowedJobStats(clock: jobClock)
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), clock: jobClock, observers: [stats])
        try await withRunningScheduler(scheduler) { scheduler in
            let options = TaskOptions(jobType: "extract")
            let good = try scheduler.spawnBlocking("good", options: options) { _ in }
            let bad = try scheduler.spawnBlocking("bad", options: options) { _ in throw TaskError.fatal("no") }
            _ = await good.result()
            _ = await bad.result()
        }
        let extract = try #require(stats.snapshot().first)
        #expect(extract.jobType == "extract")
        #expect(extract.windows[0].outcomes == ["succeeded": 1, "failed": 1])
        #expect(extract.windows[0].successRatio == 0.5)
    }
}
