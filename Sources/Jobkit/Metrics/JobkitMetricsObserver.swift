public import JobkitMetrics
import Synchronization

/// Turns a scheduler's activity into Jobkit's metric families (SPEC §4) in a ``MetricsRegistry``.
///
/// Counts are updated inline as activity is observed, so none is lost. Queue depth and worker busy time are read
/// from the scheduler at collection, so a long task shows up while it runs rather than only when it
/// ends, and the depth costs the scheduler's hot path nothing.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let metrics = try JobkitMetricsObserver(registry: registry)
/// let scheduler = try Scheduler(configuration, observers: [metrics])
/// metrics.attach(to: scheduler)      // queue depth, pools, workers, dropped events
/// ```
public final class JobkitMetricsObserver: JobObserver, MetricsCollector {
    /// Buckets of the metric families; each has a documented default.
    public struct Configuration: Sendable, Hashable {
        /// Task run time: 100 ms to 4 h by default, since jobs run long.
        public var durationBuckets: Buckets
        /// Queue and pool waits: 1 ms to 1 h by default.
        public var waitBuckets: Buckets

        public init(durationBuckets: Buckets = .longJobs, waitBuckets: Buckets = .waits) {
            self.durationBuckets = durationBuckets
            self.waitBuckets = waitBuckets
        }
    }

    private let tasks: CounterFamily
    private let durations: HistogramFamily
    private let queueWaits: HistogramFamily
    private let retries: CounterFamily
    private let poolWaits: HistogramFamily
    private let poolSlotsInUse: GaugeFamily
    /// Each job type's series, looked up in the families once: an activity then costs one lookup here
    /// instead of one per family (each allocating its label array).
    private let seriesByJobType = Mutex(SeriesCache())
    private let attached = Mutex<Attachment?>(nil)
    /// Busy time by worker index, and the clock it is measured on; both set by ``attach(to:)``.
    private let workerTimes = Mutex(WorkerTimes())

    private struct SeriesCache {
        var byJobType: [String: JobTypeSeries] = [:]
        /// The job type asked for last: a run of tasks of one type then skips hashing its name.
        var last: (jobType: String, series: JobTypeSeries)?
    }

    private struct WorkerTimes {
        var clock: JobClock?
        var byIndex: [WorkerTime] = []
    }

    private struct Attachment: Sendable {
        let scheduler: Scheduler
    }

    /// A class, so handing a job type's series out of the cache is one retain, not one per series.
    private final class JobTypeSeries: Sendable {
        /// The outcomes in the order of ``finished``; a stored array, since `allCases` builds one per call.
        static let outcomes = TaskOutcome.allCases

        let queueWait: Histogram
        let duration: Histogram
        let retries: Counter
        /// By outcome, in the order of ``outcomes``.
        let finished: [Counter]

        init(queueWait: Histogram, duration: Histogram, retries: Counter, finished: [Counter]) {
            self.queueWait = queueWait
            self.duration = duration
            self.retries = retries
            self.finished = finished
        }

        func finished(_ outcome: TaskOutcome) -> Counter {
            finished[Self.outcomes.firstIndex(of: outcome)!]
        }
    }

    /// The name and help of the queue-depth family, which ``collect()`` reads from the scheduler.
    static let depthDescriptor = MetricDescriptor(
        name: "jobkit_queue_depth", help: "Tasks by state.", kind: .gauge, unit: nil, labelNames: ["state"],
        buckets: nil)

    private struct WorkerTime {
        var accumulated: Duration = .zero
        var busySince: JobInstant?
    }

    /// The label naming a task's job type. Not `job`: that is a target label of every Prometheus
    /// scrape (with `instance`), which Prometheus would rename to `exported_job`.
    public static let jobTypeLabel = "job_type"

    /// Registers the families.
    ///
    /// - Throws: ``MetricsError`` if a family conflicts with one already in `registry`.
    public init(registry: MetricsRegistry, configuration: Configuration = Configuration()) throws {
        tasks = try registry.counter(
            "jobkit_tasks_total", help: "Tasks finished, by job type and outcome.",
            labelNames: [Self.jobTypeLabel, "outcome"])
        durations = try registry.histogram(
            "jobkit_task_duration_seconds", help: "Run time of the last attempt of finished tasks.",
            labelNames: [Self.jobTypeLabel], buckets: configuration.durationBuckets, unit: "seconds")
        queueWaits = try registry.histogram(
            "jobkit_task_queue_wait_seconds", help: "Time from ready (dependencies done) to started, per attempt.",
            labelNames: [Self.jobTypeLabel], buckets: configuration.waitBuckets, unit: "seconds")
        retries = try registry.counter(
            "jobkit_task_retries_total", help: "Attempts that failed and were scheduled again.",
            labelNames: [Self.jobTypeLabel])
        poolWaits = try registry.histogram(
            "jobkit_pool_wait_seconds", help: "Time tasks waited for resource pool slots.", labelNames: ["pool"],
            buckets: configuration.waitBuckets, unit: "seconds")
        poolSlotsInUse = try registry.gauge(
            "jobkit_pool_slots_in_use", help: "Resource pool slots held by tasks.", labelNames: ["pool"])
        registry.register(collector: self)
    }

    /// Connects the gauges that read the scheduler itself: queue depth, pool sizes, workers, busy time,
    /// dropped events.
    ///
    /// Call it before the scheduler's `run()`, so no worker time goes uncounted.
    public func attach(to scheduler: Scheduler) {
        attached.withLock { $0 = Attachment(scheduler: scheduler) }
        workerTimes.withLock {
            $0.clock = scheduler.clock
            $0.byIndex = Array(repeating: WorkerTime(), count: scheduler.configuration.workerNames.count)
        }
        for (pool, _) in scheduler.configuration.pools {
            _ = try? poolSlotsInUse.labels(pool)
            _ = try? poolWaits.labels(pool)
        }
    }

    /// Creates the series of `jobTypes` at zero (every outcome, retries, durations, queue waits), so
    /// they exist before the first task of each finishes: a rate over them then sees the first failure
    /// rather than a series that appears already at 1, and dashboards show 0 rather than no data.
    public func declare(jobTypes: [String]) {
        for job in jobTypes { _ = series(of: job) }
    }

    /// The series of `jobType`, created (at zero) the first time.
    private func series(of jobType: String) -> JobTypeSeries? {
        let cached = seriesByJobType.withLock { cache -> JobTypeSeries? in
            if let last = cache.last, last.jobType == jobType { return last.series }
            guard let found = cache.byJobType[jobType] else { return nil }
            cache.last = (jobType, found)
            return found
        }
        if let cached { return cached }
        guard
            let queueWait = try? queueWaits.labels(jobType), let duration = try? durations.labels(jobType),
            let retries = try? retries.labels(jobType),
            let finished = try? JobTypeSeries.outcomes.map({ try tasks.labels(jobType, Self.outcomeLabel($0)) })
        else { return nil }
        let series = JobTypeSeries(queueWait: queueWait, duration: duration, retries: retries, finished: finished)
        seriesByJobType.withLock { $0.byJobType[jobType] = series }
        return series
    }

    /// The label value of an outcome: `success`, `failure`, `timeout`, `cancelled` or `skipped`.
    public static func outcomeLabel(_ outcome: TaskOutcome) -> String {
        switch outcome {
        case .succeeded: "success"
        case .failed, .retriesExhausted: "failure"
        case .timedOut: "timeout"
        case .cancelled: "cancelled"
        case .skipped: "skipped"
        }
    }

    // MARK: - Observation

    public var interests: JobActivity.Kinds {
        [.started, .retrying, .finished, .poolAcquired, .poolReleased, .workerStateChanged]
    }

    public func observe(_ activity: JobActivity) {
        switch activity {
        case .started(let task, _, _, let queueWait):
            series(of: task.jobType)?.queueWait.observe(queueWait)
        case .retrying(let task, _, _, _):
            series(of: task.jobType)?.retries.increment()
        case .finished(let task, let outcome, _, let duration, _):
            guard let series = series(of: task.jobType) else { return }
            series.finished(outcome).increment()
            if let duration { series.duration.observe(duration) }
        case .poolAcquired(_, let pool, let slots, let waited):
            try? poolWaits.labels(pool).observe(waited)
            try? poolSlotsInUse.labels(pool).add(Double(slots))
        case .poolReleased(_, let pool, let slots):
            try? poolSlotsInUse.labels(pool).add(-Double(slots))
        case .workerStateChanged(let worker, let busy):
            workerStateChanged(worker, busy: busy)
        case .stateChanged, .progress, .log, .interrupted, .poolWaitBegan:
            break
        }
    }

    private func workerStateChanged(_ worker: WorkerID, busy: Bool) {
        workerTimes.withLock { state in
            guard let clock = state.clock, state.byIndex.indices.contains(worker.index) else { return }
            let now = clock.now()
            if busy {
                state.byIndex[worker.index].busySince = now
            } else if let since = state.byIndex[worker.index].busySince {
                state.byIndex[worker.index].accumulated += since.duration(to: now)
                state.byIndex[worker.index].busySince = nil
            }
        }
    }

    // MARK: - Collection

    public func collect() -> [FamilySnapshot] {
        guard let scheduler = attached.withLock({ $0?.scheduler }) else { return [] }
        let now = scheduler.clock.now()
        let workers = scheduler.configuration.workerNames.enumerated().map { WorkerID(index: $0, name: $1) }
        let times = workerTimes.withLock { $0.byIndex }
        var busyCount = 0
        let busySeries = workers.map { worker -> SeriesSnapshot in
            let time = times.indices.contains(worker.index) ? times[worker.index] : WorkerTime()
            let running = time.busySince.map { $0.duration(to: now) } ?? .zero
            if time.busySince != nil { busyCount += 1 }
            return SeriesSnapshot(
                labels: [("worker", worker.name)], value: .counter((time.accumulated + running).seconds))
        }
        let dropped = scheduler.events.droppedEvents()
        let states = scheduler.taskStateCounts()
        return [
            FamilySnapshot(
                descriptor: Self.depthDescriptor,
                series: TaskState.allCases.map {
                    SeriesSnapshot(labels: [("state", $0.rawValue)], value: .gauge(Double(states[$0])))
                }),
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_worker_busy_seconds_total", help: "Time each worker spent running tasks.",
                    kind: .counter, unit: "seconds", labelNames: ["worker"], buckets: nil),
                series: busySeries),
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_workers", help: "Workers by state.", kind: .gauge, unit: nil,
                    labelNames: ["state"], buckets: nil),
                series: [
                    SeriesSnapshot(labels: [("state", "busy")], value: .gauge(Double(busyCount))),
                    SeriesSnapshot(labels: [("state", "idle")], value: .gauge(Double(workers.count - busyCount))),
                ]),
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_pool_slots", help: "Slots of each resource pool.", kind: .gauge, unit: nil,
                    labelNames: ["pool"], buckets: nil),
                series: scheduler.configuration.pools.sorted { $0.key < $1.key }.map {
                    SeriesSnapshot(labels: [("pool", $0.key)], value: .gauge(Double($0.value)))
                }),
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_events_dropped_total", help: "Events a slow subscriber lost, by consumer.",
                    kind: .counter, unit: nil, labelNames: ["consumer"], buckets: nil),
                series: dropped.sorted { $0.key < $1.key }.map {
                    SeriesSnapshot(labels: [("consumer", $0.key)], value: .counter(Double($0.value)))
                }),
        ]
    }
}
