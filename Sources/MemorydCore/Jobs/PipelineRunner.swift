import FoundationEssentials
public import Jobkit
import Synchronization

/// Turns the configured jobs into runs on a scheduler, and starts scheduled runs on time.
///
/// A run is the triggered job plus every job downstream of it through `depends_on` (SPEC §8). A job in a
/// run starts when all its upstream jobs in the same run have succeeded; if one fails, it is skipped.
/// Every task of a run carries the run id as its correlation id, so its events can be followed together.
public final class PipelineRunner: Sendable {
    public let config: MemorydConfig
    let scheduler: Scheduler
    /// Wait between SIGTERM and SIGKILL when a command job is cancelled or times out.
    let killGrace: Duration
    /// The zone of `daily` and cron schedules of jobs without a `timezone` of their own.
    let localZone: ZoneInfo
    /// The zones jobs name in `timezone`, by name, read once (``zone(of:)``).
    let jobZones: [String: ZoneInfo]
    /// Where runs are recorded before they are submitted; `nil` keeps them in memory only.
    let store: TaskStore?
    /// The latest run of each `unique` job and parameter values (``uniqueKey(of:parameters:)``).
    let uniqueRuns = Mutex<[String: Run]>([:])

    public convenience init(
        config: MemorydConfig, scheduler: Scheduler, killGrace: Duration = CommandJob.defaultKillGrace
    ) {
        self.init(config: config, scheduler: scheduler, store: nil, killGrace: killGrace)
    }

    init(
        config: MemorydConfig, scheduler: Scheduler, store: TaskStore?,
        killGrace: Duration = CommandJob.defaultKillGrace, localZone: ZoneInfo = .local()
    ) {
        self.config = config
        self.scheduler = scheduler
        self.store = store
        self.killGrace = killGrace
        self.localZone = localZone
        // Stored tasks keep their ids when submitted again; new ones are reserved above them. A store
        // that cannot be read here fails its next write, which reports it.
        if let highest = try? store?.highestTaskID() { scheduler.skipTaskIDs(through: highest) }
        // The config check has read each of them already; one that has gone since falls back to local time.
        jobZones = Dictionary(
            config.jobs.compactMap { job in
                job.timeZone.flatMap { name in (try? ZoneInfo.load(name)).map { (name, $0) } }
            },
            uniquingKeysWith: { first, _ in first })
    }

    /// A started run.
    public struct Run: Sendable {
        public let id: String
        /// The tasks by job name.
        public let tasks: [String: TaskHandle]
    }

    /// Starts a run of `job` and everything downstream of it, recording it durably first when there is
    /// a store.
    ///
    /// - Throws: ``JobError`` (`.unknownTask` for a job the config does not have; `.shutDown` once the
    ///   scheduler stops accepting work), ``DuplicateRun`` when the job is `unique` and an equal run is
    ///   pending or running, or the store's error if the run could not be recorded.
    @discardableResult
    public func startRun(of job: String, parameters: [String: String] = [:]) throws -> Run {
        try startRuns([Submission(job: job, parameters: parameters)])[0].get()
    }

    /// Plans a new run of a submission: its id and its jobs, each after its upstream jobs.
    func plan(_ submission: Submission) -> PlannedRun {
        let members = downstream(of: submission.job)
        // Config order is a valid order only by accident; add upstream jobs before their dependants.
        let jobs = topologicalOrder(members).map { name in
            (name: name, dependsOn: config.job(name)!.dependsOn.filter(members.contains))
        }
        return PlannedRun(id: Self.makeRunID(), submission: submission, jobs: jobs)
    }

    /// Records `runs` durably in one commit, then submits each; a run the scheduler refuses is abandoned
    /// in the store and reported in its place.
    ///
    /// - Throws: the store's error if the runs could not be recorded; then none was started.
    func start(_ runs: [PlannedRun]) throws -> [Result<Run, any Error>] {
        let storeIDs = try store?.recordRuns(runs.map(\.newRun), ids: reserveIDs(for: runs))
        return submitRecorded(runs, storeIDs: storeIDs)
    }

    /// Task ids from the scheduler for every task of `runs`, in order, recorded as their store ids: a
    /// task keeps its id across restarts.
    func reserveIDs(for runs: [PlannedRun]) -> [Int64] {
        scheduler.reserveTaskIDs(runs.reduce(0) { $0 + $1.jobs.count }).map { Int64($0.rawValue) }
    }

    /// Submits `runs`, recorded already with `storeIDs` (`nil` without a store); a run the scheduler
    /// refuses is abandoned in the store and reported in its place.
    func submitRecorded(_ runs: [PlannedRun], storeIDs: [[Int64]]?) -> [Result<Run, any Error>] {
        runs.enumerated().map { index, run in
            let ids = storeIDs?[index]
            do {
                return .success(
                    try submit(
                        run.id,
                        run.jobs.enumerated().map { position, job in
                            RunTask(
                                job: job.name, upstreams: job.dependsOn, parameters: run.submission.parameters,
                                storeID: ids?[position])
                        }))
            } catch {
                // Not submitted, so not acknowledged: it must not run after a restart either.
                for id in ids ?? [] { try? store?.abandon(id, reason: "\(error)") }
                return .failure(error)
            }
        }
    }

    /// One task of a run as it is submitted: new, or resumed from the store.
    struct RunTask {
        var job: String
        /// Upstream jobs in the same run.
        var upstreams: [String]
        var parameters: [String: String]
        var storeID: Int64?
        /// Attempts made before a restart, and of those the ones a shutdown interrupted.
        var attemptsMade = 0
        var interruptions = 0
        /// The rest of the backoff the task was waiting out.
        var retryDelay: Duration?
    }

    /// Submits the tasks of run `runID`.
    func submit(_ runID: String, _ tasks: [RunTask]) throws -> Run {
        let graph = TaskGraph(correlationID: runID)
        var nodes: [String: TaskGraph.Node] = [:]
        for task in tasks {
            let spec = config.job(task.job)!
            var command = CommandJob(
                argv: spec.command, environment: spec.environment, workingDirectory: spec.workingDirectory,
                parameters: task.parameters, killGrace: killGrace)
            if let store, let storeID = task.storeID {
                command.beforeExec = { pid in
                    let group = ProcessGroupRecord(
                        pgid: pid, startTicks: ProcessTable.entry(of: pid)?.startTicks ?? 0,
                        bootID: ProcessTable.bootID)
                    do {
                        try store.recordProcessGroup(group, of: storeID)
                    } catch {
                        throw TaskError.retryable("could not record the command's process in the queue: \(error)")
                    }
                }
            }
            var options = options(for: spec)
            options.id = task.storeID.map { TaskID(rawValue: UInt64($0)) }
            if task.attemptsMade > 0 {
                // Attempts made before the restart count against the retries, unless a shutdown
                // interrupted them; the task gets at least this one more attempt.
                let spent = task.attemptsMade - task.interruptions
                let left = max(options.retry.maxRetries - spent, 0)
                options.retry = left > 0 ? .retries(left, backoff: options.retry.backoff) : .none
                options.attemptsMade = task.attemptsMade
                options.retryDelay = task.retryDelay
            }
            let job = command
            let node = graph.addBlocking(task.job, options: options) { try job.run($0) }
            for upstream in task.upstreams { nodes[upstream].map(node.dependOn) }
            nodes[task.job] = node
        }
        let handles = try scheduler.submit(graph)
        return Run(id: runID, tasks: nodes.mapValues { handles[$0] })
    }

    /// `job` and every job that depends on it, directly or not.
    func downstream(of job: String) -> Set<String> {
        var members: Set<String> = [job]
        var frontier = [job]
        while let current = frontier.popLast() {
            for candidate in config.jobs
            where candidate.dependsOn.contains(current) && !members.contains(candidate.name) {
                members.insert(candidate.name)
                frontier.append(candidate.name)
            }
        }
        return members
    }

    /// `members` ordered so that every job comes after its upstream jobs (config order among equals).
    private func topologicalOrder(_ members: Set<String>) -> [String] {
        var ordered: [String] = []
        var placed: Set<String> = []
        let pending = config.jobs.map(\.name).filter(members.contains)
        while ordered.count < pending.count {
            for name in pending where !placed.contains(name) {
                let upstream = config.job(name)!.dependsOn.filter(members.contains)
                if upstream.allSatisfy(placed.contains) {
                    ordered.append(name)
                    placed.insert(name)
                }
            }
        }
        return ordered
    }

    private func options(for job: MemorydConfig.Job) -> TaskOptions {
        var retry = RetryPolicy.none
        if job.retries > 0 {
            let backoff =
                job.backoff.map {
                    BackoffPolicy(initial: $0.initial, maximum: $0.max, factor: $0.factor, jitter: $0.jitter)
                } ?? BackoffPolicy()
            retry = .retries(job.retries, backoff: backoff)
        }
        return TaskOptions(
            jobType: job.name, onDependencyFailure: .skip, pools: job.pools, retry: retry, timeout: job.timeout)
    }

    /// `run-`, milliseconds since the epoch (so ids sort by time), and a suffix unique in this process:
    /// a random start counted up, so a batch started within one millisecond gets distinct ids.
    static func makeRunID() -> String {
        let milliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let suffix = runIDNonce &+ runIDSequence.add(1, ordering: .relaxed).oldValue
        return "run-\(milliseconds)-" + String(suffix, radix: 16)
    }

    /// Where this process's run-id suffixes start (random, so a restart within a millisecond differs).
    private static let runIDNonce = UInt32.random(in: 0...UInt32.max)
    /// Run ids handed out by this process.
    private static let runIDSequence = Atomic<UInt32>(0)
}
