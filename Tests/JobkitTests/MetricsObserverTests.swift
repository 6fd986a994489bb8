import Jobkit
import JobkitMetrics
import JobkitTesting
import Testing

@Suite(.timeLimit(.minutes(1)))
struct MetricsObserverTests {
    func text(_ registry: MetricsRegistry) -> String {
        String(decoding: PrometheusText.render(registry.collect()), as: UTF8.self)
    }

    @Test func everyOutcomeDurationWaitAndRetryIsCounted() async throws {
        let (clock, jobClock) = manualClock()
        let registry = MetricsRegistry(wallClock: { 0 })
        let metrics = try JobkitMetricsObserver(registry: registry)
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: 2, pools: ["llm": 1]), clock: jobClock, observers: [metrics])
        metrics.attach(to: scheduler)
        let gate = Gate()
        try await withRunningScheduler(scheduler) { scheduler in
            let events = scheduler.events.subscribe(consumer: "test")
            let slow = try scheduler.spawnBlocking("slow", options: TaskOptions(pools: ["llm": 1])) { _ in gate.wait() }
            await gate.waitForArrivals(1)
            let waiting = try scheduler.spawnBlocking("waiting", options: TaskOptions(pools: ["llm": 1])) { _ in }
            clock.advance(by: .seconds(2))
            #expect(text(registry).contains("jobkit_worker_busy_seconds_total{worker=\"worker-0\"} 2\n"))
            #expect(text(registry).contains("jobkit_workers{state=\"busy\"} 1\n"))
            #expect(text(registry).contains("jobkit_queue_depth{state=\"waiting\"} 1\n"))
            #expect(text(registry).contains("jobkit_pool_slots_in_use{pool=\"llm\"} 1\n"))
            gate.open()
            _ = await waiting.result()
            _ = await slow.result()

            let flaky = try scheduler.spawnBlocking(
                "flaky", options: TaskOptions(retry: .retries(1, backoff: .constant(.seconds(1))))
            ) { ctx in if ctx.attempt == 1 { throw TaskError.retryable("again") } }
            _ = await events.next { $0.kind == .retrying }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            _ = await flaky.result()
            let broken = try scheduler.spawnBlocking("broken") { _ in throw TaskError.fatal("no") }
            let skipped = try scheduler.spawnBlocking(
                "skipped", options: TaskOptions(dependsOn: [broken], onDependencyFailure: .skip)
            ) { _ in }
            _ = await skipped.result()
            await scheduler.waitUntilIdle()

            let output = text(registry)
            for line in [
                "jobkit_tasks_total{job_type=\"slow\",outcome=\"success\"} 1",
                "jobkit_tasks_total{job_type=\"broken\",outcome=\"failure\"} 1",
                "jobkit_tasks_total{job_type=\"skipped\",outcome=\"skipped\"} 1",
                "jobkit_task_retries_total{job_type=\"flaky\"} 1",
                "jobkit_task_duration_seconds_sum{job_type=\"slow\"} 2",
                "jobkit_task_duration_seconds_count{job_type=\"slow\"} 1",
                "jobkit_task_queue_wait_seconds_count{job_type=\"flaky\"} 2",
                "jobkit_pool_wait_seconds_sum{pool=\"llm\"} 2",
                "jobkit_pool_wait_seconds_count{pool=\"llm\"} 2",
                "jobkit_pool_slots{pool=\"llm\"} 1",
                "jobkit_pool_slots_in_use{pool=\"llm\"} 0",
                "jobkit_queue_depth{state=\"running\"} 0",
                "jobkit_queue_depth{state=\"succeeded\"} 3",
                "jobkit_queue_depth{state=\"cancelled\"} 1",
                "jobkit_worker_busy_seconds_total{worker=\"worker-0\"} 2",
                "jobkit_workers{state=\"idle\"} 2",
            ] {
                #expect(output.contains(line + "\n"), "missing: \(line)")
            }
        }
    }

    @Test func outcomeLabelsAreTheFiveOfTheSpec() {
        let labels = Set(TaskOutcome.allCases.map(JobkitMetricsObserver.outcomeLabel))
        #expect(labels == ["success", "failure", "timeout", "cancelled", "skipped"])
    }

    @Test func droppedEventsAreCountedPerConsumer() async throws {
        let registry = MetricsRegistry()
        let metrics = try JobkitMetricsObserver(registry: registry)
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1), observers: [metrics])
        metrics.attach(to: scheduler)
        let subscription = scheduler.events.subscribe(consumer: "tui", bufferSize: 1)
        scheduler.events.publish(JobEvent(kind: .log, message: "one"))
        scheduler.events.publish(JobEvent(kind: .log, message: "two"))
        scheduler.events.publish(JobEvent(kind: .log, message: "three"))
        #expect(text(registry).contains("jobkit_events_dropped_total{consumer=\"tui\"} 2\n"))
        subscription.cancel()
    }
}
