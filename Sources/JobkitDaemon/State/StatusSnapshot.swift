public import FoundationEssentials
public import Jobkit
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A daemon's state at one moment, as `GET /v1/status` answers it and the status file holds it:
/// workers, pools, tasks by state, the most recent tasks, and per job type rates and quantiles.
///
/// ```swift
/// let snapshot = StatusSnapshot.take(scheduler: scheduler, stats: stats, startedAt: start, recent: 50)
/// try StatusSnapshot.writeAtomically(try snapshot.encoded(), to: stateDirectory + "/status.json")
/// ```
public struct StatusSnapshot: Codable, Sendable {
    public var pid: Int32
    public var startedAt: Date
    public var time: Date
    public var workers: [WorkerResource]
    public var pools: [PoolResource]
    /// Known tasks by state name.
    public var tasksByState: [String: Int]
    /// The most recent tasks, newest last, in the shape `GET /v1/tasks` gives them.
    public var recentTasks: [TaskResource]
    /// Per job type: rate, outcomes, success ratio and duration quantiles over 1 m, 5 m and 1 h.
    public var jobs: [JobStatsResource]
    public var lastEventSeq: UInt64
    /// The daemon's version, if it gives one; absent in status files of earlier versions.
    public var version: String?

    public init(
        pid: Int32, startedAt: Date, time: Date, workers: [WorkerResource], pools: [PoolResource],
        tasksByState: [String: Int], recentTasks: [TaskResource], jobs: [JobStatsResource], lastEventSeq: UInt64,
        version: String? = nil
    ) {
        self.pid = pid
        self.startedAt = startedAt
        self.time = time
        self.workers = workers
        self.pools = pools
        self.tasksByState = tasksByState
        self.recentTasks = recentTasks
        self.jobs = jobs
        self.lastEventSeq = lastEventSeq
        self.version = version
    }

    /// The state of `scheduler` now, with the `recent` most recent tasks and `stats`' windows.
    public static func take(
        scheduler: Scheduler, stats: WindowedJobStats, startedAt: Date, recent: Int, version: String? = nil
    ) -> StatusSnapshot {
        let (counts, recentTasks) = scheduler.summary(recent: recent)
        var byState: [String: Int] = [:]
        for state in TaskState.allCases { byState[state.rawValue] = counts[state] ?? 0 }
        return StatusSnapshot(
            pid: getpid(), startedAt: startedAt, time: scheduler.clock.wallTime(),
            workers: scheduler.workers().map(WorkerResource.init),
            pools: scheduler.pools().map(PoolResource.init), tasksByState: byState,
            recentTasks: recentTasks.map(TaskResource.init),
            jobs: stats.snapshot().map(JobStatsResource.init),
            lastEventSeq: scheduler.events.lastSeq, version: version)
    }

    /// Encodes as pretty, key-sorted JSON with RFC 3339 dates.
    public func encoded() throws -> Data {
        try WireJSON.encoder(pretty: true).encode(self)
    }

    /// Decodes what ``encoded()`` wrote (the status file, or `GET /v1/status`).
    public static func decode(_ data: Data) throws -> StatusSnapshot {
        try WireJSON.decoder().decode(StatusSnapshot.self, from: data)
    }

    /// Writes `data` to `path` atomically and privately (0600): a temporary file, fsync, rename.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        let descriptor = try PrivateFiles.open(temporary, flags: O_WRONLY | O_TRUNC)
        defer { close(descriptor) }
        if let code = data.withUnsafeBytes({ SystemCall.writeAll($0, to: descriptor) }) {
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        guard fsync(descriptor) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
