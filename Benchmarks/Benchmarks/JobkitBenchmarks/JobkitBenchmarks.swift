import Benchmark
import Jobkit
import JobkitMetrics

// Jobkit's own cost per task, beside the floor a bare TaskGroup gives in the same run: empty tasks, so
// what is measured is submitting, scheduling, running and reporting, not the work.

/// Empty tasks per measured iteration.
let tasksPerIteration = 100_000
/// Workers of the scheduler.
let workerCount = 2

/// Submits ``tasksPerIteration`` empty blocking tasks to a running scheduler and waits until all are done.
func runEmptyTasks(metrics: Bool, async: Bool) async throws {
    let registry = MetricsRegistry()
    let observer = metrics ? try JobkitMetricsObserver(registry: registry) : nil
    let scheduler = try Scheduler(
        SchedulerConfiguration(workers: workerCount), observers: observer.map { [$0] } ?? [])
    observer?.attach(to: scheduler)
    let running = Task { try await scheduler.run() }
    for _ in 0..<tasksPerIteration {
        if async {
            try scheduler.spawn("empty") { _ in }
        } else {
            try scheduler.spawnBlocking("empty") { _ in }
        }
    }
    await scheduler.waitUntilIdle()
    scheduler.shutdown()
    try await running.value
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(10),
        maxIterations: 10)

    // The cooperative pool runs the child tasks, one thread per core (two on the reference machine).
    Benchmark("100k empty tasks: bare TaskGroup") { benchmark in
        for _ in benchmark.scaledIterations {
            await withDiscardingTaskGroup { group in
                for index in 0..<tasksPerIteration { group.addTask { blackHole(index) } }
            }
        }
    }

    Benchmark("100k empty tasks: Jobkit, blocking jobs, no observer") { benchmark in
        for _ in benchmark.scaledIterations { try await runEmptyTasks(metrics: false, async: false) }
    }

    Benchmark("100k empty tasks: Jobkit, blocking jobs, metrics observer") { benchmark in
        for _ in benchmark.scaledIterations { try await runEmptyTasks(metrics: true, async: false) }
    }

    Benchmark("100k empty tasks: Jobkit, async jobs, metrics observer") { benchmark in
        for _ in benchmark.scaledIterations { try await runEmptyTasks(metrics: true, async: true) }
    }
}
