import Dispatch
import FoundationEssentials
public import Jobkit
public import JobkitDaemon
import JobkitHealth
public import JobkitMetrics
import JobkitSupport
import MemorydClient
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The running daemon: scheduler, metrics, HTTP listeners, and its own periodic housekeeping.
public final class MemorydDaemon: Sendable {
    public let settings: DaemonSettings
    public let scheduler: Scheduler
    public let registry: MetricsRegistry
    /// Rates, success ratios and duration quantiles per job type over 1 m, 5 m and 1 h.
    public let stats: WindowedJobStats
    /// Every event, as JSON lines in the state directory.
    public let eventLog: EventLog
    /// Held for the daemon's lifetime: a second daemon on the same state directory refuses to start.
    let instanceLock: InstanceLock
    let server: HTTPServer
    /// The API both listeners serve (``RouteTable``).
    let routes: [Route]
    let startedAt: Date
    /// Appends that failed (disk full, file removed).
    private let eventLogErrors: JobkitMetrics.Counter
    /// The persistent queue in the state directory.
    let store: TaskStore
    /// Starts and finishes that could not be recorded in the queue.
    private let storeErrors: JobkitMetrics.Counter
    /// The config being run, reloadable.
    let configState: ConfigState
    /// Alert rules, their evaluation and notifications.
    let health: HealthMonitor
    /// systemd's notify socket, when started as a `Type=notify` service.
    let systemd: SystemdNotifier
    /// Runs the configured jobs; `nil` without a config file.
    public var pipeline: PipelineRunner? { configState.pipeline }
    /// What opening the state directory changed or repaired, printed at start.
    let startupNotes: [String]
    /// Gives the heap's free pages back after a burst, from the housekeeping loop.
    let heapTrimmer: HeapTrimmer
    /// Deletes finished tasks past their retention, from the housekeeping loop.
    let pruner: RetentionPruner

    /// Builds every part and opens the event log (creating the state directory); nothing listens or runs
    /// until ``run(ready:)``.
    ///
    /// - Parameters:
    ///   - settings: where to listen and keep state.
    ///   - config: the jobs and pools to run; `nil` runs only the daemon's own housekeeping.
    ///   - configPath: the file `config` came from, read again on SIGHUP and `POST /v1/reload`.
    /// - Throws: ``JobError``, ``MetricsError`` or ``DaemonError`` for invalid settings or an unusable state
    ///   directory.
    public init(
        settings: DaemonSettings, config: MemorydConfig? = nil, configPath: String? = nil, resetState: Bool = false
    ) throws {
        self.settings = settings
        // Before the scheduler, the HTTP server and the store start their threads.
        HeapTrimmer.limitArenas(to: settings.mallocArenas)
        self.heapTrimmer = HeapTrimmer(threshold: settings.memoryTrimThreshold)
        var notes: [String] = []
        if let tightened = try PrivateFiles.prepareDirectory(settings.stateDirectory) { notes.append(tightened) }
        // Before touching anything in the state directory: another daemon may own it.
        let lockPath = settings.stateDirectory + "/" + Self.lockFileName
        do {
            instanceLock = try InstanceLock(path: lockPath)
        } catch let error as DaemonError where error.code == .alreadyRunning {
            let holder = InstanceLock.holder(of: lockPath).map { "pid \($0)" } ?? "another process"
            throw DaemonError(
                .alreadyRunning,
                "memoryd is already running (\(holder)) with state directory \(settings.stateDirectory); stop it first or use another --state-dir"
            )
        }
        if resetState {
            notes += try StateReset.setAside(settings.stateDirectory, keeping: [Self.lockFileName])
        }
        let restricted = PrivateFiles.restrictFiles(in: settings.stateDirectory)
        if !restricted.isEmpty { notes.append("made private (0600): \(restricted.joined(separator: ", "))") }
        let eventLog = try EventLog(directory: settings.stateDirectory, configuration: settings.eventLog)
        notes += eventLog.repairs
        let registry = MetricsRegistry()
        let storeErrors =
            try registry.counter(
                "memoryd_queue_errors_total",
                help:
                    "Writes to the queue that failed (disk full, I/O error); task updates among them are written again later."
            ).unlabelled
        self.storeErrors = storeErrors
        let pruned = try registry.counter(
            "memoryd_queue_pruned_tasks_total",
            help: "Finished tasks the queue's retention deleted, with their output (daemon.task_retention)."
        ).unlabelled
        let store = try TaskStore(
            directory: settings.stateDirectory, logHasEvents: eventLog.lastSeqAtOpen > 0, errors: storeErrors,
            cacheBytes: settings.queueCacheBytes, outputBytes: settings.taskOutputBytes, prunedTasks: pruned)
        self.store = store
        self.pruner = RetentionPruner(store: store, retention: settings.taskRetention)
        self.startupNotes = notes
        registry.register(collector: ProcessCollector())
        // Which memoryd serves these metrics, as Prometheus' own *_build_info gauges say it: always 1.
        try registry.gauge(
            "memoryd_build_info", help: "memoryd's version, as a label of a series that is always 1.",
            labelNames: ["version"]
        ).labels(MemorydVersion.current).set(1)
        let metrics = try JobkitMetricsObserver(registry: registry)
        let clock = JobClock.continuous
        let stats = try WindowedJobStats(clock: clock)
        // Sequence numbers continue after the last logged event, so `since=SEQ` means the same across restarts.
        let events = EventStream.Configuration(firstSeq: eventLog.lastSeqAtOpen + 1)
        let pools = Dictionary(config?.pools.map { ($0.name, $0.slots) } ?? [], uniquingKeysWith: { first, _ in first })
        // Task ids continue above every id stored or logged, so `t42` names one task across restarts.
        let firstTaskID = max(try store.highestTaskID(), eventLog.lastTaskIDAtOpen) + 1
        let scheduler = try Scheduler(
            SchedulerConfiguration(workers: settings.workers, pools: pools, events: events, firstTaskID: firstTaskID),
            clock: clock, observers: [metrics, stats])
        metrics.attach(to: scheduler)
        // Paused jobs stay paused: before the queue is resumed, so their tasks wait.
        try JobsAPI.restore(store: store, scheduler: scheduler)
        metrics.declare(jobTypes: [Self.housekeepingJobType] + (config?.jobs.map(\.name) ?? []))
        self.registry = registry
        self.scheduler = scheduler
        self.stats = stats
        self.eventLog = eventLog
        let health = try HealthMonitor(
            registry: registry, events: scheduler.events, clock: clock,
            loopTimeout: settings.loopWatchdogTimeout, lastSuccess: { try? store.lastSuccess(of: $0) })
        self.health = health
        let configState = ConfigState(
            path: configPath ?? config?.file, config: config, scheduler: scheduler, store: store,
            applyElsewhere: { config in
                try health.apply(config)
                metrics.declare(jobTypes: config.jobs.map(\.name))
            })
        self.configState = configState
        self.eventLogErrors =
            try registry.counter(
                "memoryd_event_log_errors_total", help: "Events that could not be written to the event log."
            ).unlabelled
        let startedAt = Date()
        self.startedAt = startedAt
        let recent = settings.recentTasks
        let authorization = APIAuthorization(token: settings.token, daemonUID: getuid(), tcpReads: settings.tcpReads)
        let systemd = SystemdNotifier()
        self.systemd = systemd
        let routes = RouteTable(
            registry: registry,
            status: { Self.snapshot(scheduler: scheduler, stats: stats, startedAt: startedAt, recent: recent) },
            events: EventsEndpoint(events: scheduler.events, log: eventLog, heartbeat: settings.eventsHeartbeat),
            tasks: TasksAPI(scheduler: scheduler, config: configState), taskLog: TaskLogAPI(store: store),
            jobs: JobsAPI(scheduler: scheduler, config: configState, store: store),
            schedules: SchedulesAPI(config: configState, scheduler: scheduler), health: health,
            readiness: {
                health.readiness(
                    store: store.writeFailure ?? (store.isAnswering ? nil : "does not answer"),
                    eventLog: eventLog.writeFailure,
                    configLoaded: configState.pipeline != nil || configPath == nil)
            },
            reload: { Self.reloadResponse(Self.reload(configState, systemd)) })
        self.routes = routes.routes
        let router = HTTPRouter(routes: self.routes, authorization: authorization)
        self.server = HTTPServer(router: router, configuration: settings.httpServer, registry: registry)
    }

    /// Listens, runs housekeeping, and serves until SIGTERM or SIGINT; then drains and returns.
    ///
    /// - Parameter ready: called with the addresses being served once listening.
    /// - Throws: ``DaemonError`` if a listener cannot be created (address in use, bad path).
    public func run(ready: @Sendable ([String]) -> Void = { _ in }) async throws {
        // From here on a SIGTERM or SIGINT is kept until the group takes it: one that comes while the
        // daemon starts (a quick `systemctl stop`) stops it as soon as it is ready.
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        let hangupSignals = SignalWatcher(signals: [SIGHUP])
        try listen()
        defer { server.stop() }
        // What writes to disk (the event log, the queue, the runs triggers start) waits there on a thread of
        // its own, never on one of the cooperative pool's.
        let diskIO = ThreadTaskExecutor(name: Self.diskThreadName)
        defer { diskIO.shutdown() }
        // The writers subscribe before anything runs, so they see every event; then what the queue holds
        // from before a crash or stop is submitted again, all before the daemon reports it is ready.
        let subscriptions = subscribeWriters()
        for note in startupNotes { StandardStreams.error("memoryd: \(note)\n") }
        // Whatever was accepted before a crash or stop and has not finished runs again, once nothing of
        // its last attempt is left running.
        if let resumption = try configState.pipeline?.resume() { report(resumption) }
        health.listening(on: server.addresses)
        try health.apply(configState.pipeline?.config)
        defer { health.stop() }
        ready(server.addresses)
        systemd.notify(.ready, status: readyStatus())

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services(
                    subscriptions: subscriptions, diskIO: diskIO, signals: signals, hangups: hangupSignals),
                logger: Self.serviceLogger))
        try await group.run()
        eventLog.close()
        writeStatus()
        let left = scheduler.tasks().filter { !$0.state.isTerminal && $0.jobType != Self.housekeepingJobType }.count
        StandardStreams.error(
            "memoryd: stopped" + (left > 0 ? "; \(left) unfinished tasks stay queued for the next start" : "") + "\n")
    }

    /// Every `statusInterval`, a housekeeping task writes the status file, so the daemon's own work shows
    /// in its metrics from the first scrape.
    func housekeeping() async {
        let options = TaskOptions(jobType: Self.housekeepingJobType)
        while !Task.isCancelled {
            // The scheduler took the task: it answers, so its watchdog is petted.
            // After a failed write (disk full), the task also sees whether the queue can write again.
            let spawned = try? scheduler.spawnBlocking("status-snapshot", options: options) { [self] _ in
                writeStatus()
                store.probeWrite()
                pruner.pruneIfDue()
                heapTrimmer.trimIfWorthIt()
            }
            if spawned != nil { health.watchdogs.pet(HealthMonitor.schedulerWatchdog) }
            try? await scheduler.clock.sleep(for: settings.statusInterval)
        }
    }

    /// Appends every event to the log until the subscription ends. Events the log fell behind on are
    /// counted in `jobkit_events_dropped_total{consumer="event-log"}`.
    func writeEventLog(_ subscription: EventSubscription) async {
        await eventLog.record(subscription, batchLimit: Self.writeBatchLimit) { lost in
            eventLogErrors.increment(by: UInt64(lost))
        }
    }

    /// Name of the thread the daemon's disk writers and triggers run on (``ThreadTaskExecutor``).
    static let diskThreadName = "memoryd-io"
    /// The job type of the daemon's own periodic work, as its metrics and events name it.
    static let housekeepingJobType = MemorydAPI.housekeepingJobType
    /// Most events written in one `write(2)` or one queue transaction (1,024).
    static let writeBatchLimit = EventLog.defaultBatchLimit

    /// `POST /v1/reload`'s answer for a reload outcome.
    static func reloadResponse(_ outcome: ConfigState.Outcome) -> HTTPResponse {
        switch outcome {
        case .reloaded(let config):
            let body = #"{"reloaded":true,"jobs":\#(config.jobs.count)}"# + "\n"
            return .json(Array(body.utf8))
        case .rejected(let reason):
            return .error(422, code: "invalid_config", message: reason)
        case .noConfig:
            return .error(
                409, code: "no_config", message: "memoryd was started without --config; there is nothing to reload")
        }
    }

    /// Name of the lock file in the state directory, holding the running daemon's pid.
    public static let lockFileName = "memoryd.pid"

    /// Hands events to the health monitor until the subscription ends; after a gap, forgets the watchdogs
    /// of tasks that finished unseen.
    func followForHealth(_ subscription: EventSubscription) async {
        while true {
            let batch = await subscription.nextBatch(upTo: Self.writeBatchLimit)
            if batch.isEmpty { return }
            for element in batch {
                switch element {
                case .event(let event): health.observe(event)
                case .lagged:
                    health.reconcile(running: Set(scheduler.tasks().filter { $0.state == .running }.map(\.id)))
                }
            }
        }
    }

    /// Records task starts, finishes and output lines in the queue until the subscription ends.
    func recordInQueue(_ subscription: EventSubscription) async {
        // Failed writes are counted by the store, which keeps their updates for the next batch.
        await subscription.writeBatches(upTo: Self.writeBatchLimit) { try store.record($0) }
    }

    /// The status file's path.
    public var statusPath: String { settings.stateDirectory + "/status.json" }

    private func writeStatus() {
        let snapshot = Self.snapshot(
            scheduler: scheduler, stats: stats, startedAt: startedAt, recent: settings.recentTasks)
        guard let data = try? snapshot.encoded() else { return }
        try? StatusSnapshot.writeAtomically(data, to: statusPath)
    }

    /// What `GET /v1/status` answers and the status file holds.
    private static func snapshot(
        scheduler: Scheduler, stats: WindowedJobStats, startedAt: Date, recent: Int
    ) -> StatusSnapshot {
        StatusSnapshot.take(
            scheduler: scheduler, stats: stats, startedAt: startedAt, recent: recent, version: MemorydVersion.current)
    }
}
