public import Jobkit

// The parts of `GET /v1/status` besides tasks, as the API shows them: the wire forms of Jobkit's
// WorkerStatus, PoolStatus and JobWindowStats, so the library's types can change without changing
// the API or the status file. A job type is `job` here as in tasks and events.

/// One worker.
public struct WorkerResource: Codable, Sendable, Hashable {
    public var name: String
    public var busy: Bool
    /// The task it runs, if any.
    public var task: TaskID?
    public var taskName: String?

    public init(_ status: WorkerStatus) {
        name = status.name
        busy = status.busy
        task = status.task
        taskName = status.taskName
    }
}

/// One resource pool.
public struct PoolResource: Codable, Sendable, Hashable {
    public var name: String
    public var slots: Int
    public var inUse: Int
    /// Tasks waiting for slots.
    public var waiting: Int

    public init(_ status: PoolStatus) {
        name = status.name
        slots = status.slots
        inUse = status.inUse
        waiting = status.waiting
    }
}

/// One job type's figures over each window (1 m, 5 m, 1 h by default), shortest first.
public struct JobStatsResource: Codable, Sendable, Hashable {
    /// The job type.
    public var job: String
    public var windows: [Window]

    /// Finished tasks of the job type over one window.
    public struct Window: Codable, Sendable, Hashable {
        /// The window's length in seconds.
        public var windowSeconds: Double
        /// Tasks finished, by outcome; outcomes that did not occur are absent.
        public var outcomes: [String: Int]
        /// Tasks finished per second, over the window or the time since the daemon started if shorter.
        public var finishedPerSecond: Double
        /// Succeeded ÷ (succeeded + failed + retries exhausted + timed out); absent with nothing to divide.
        public var successRatio: Double?
        /// Duration quantiles in seconds (`"0.5"`, `"0.9"`, `"0.99"`), absent when no task ran.
        public var durationQuantiles: [String: Double]

        public init(_ stats: WindowStats) {
            windowSeconds = stats.windowSeconds
            outcomes = stats.outcomes
            finishedPerSecond = stats.finishedPerSecond
            successRatio = stats.successRatio
            durationQuantiles = stats.durationQuantiles
        }
    }

    public init(_ stats: JobWindowStats) {
        job = stats.jobType
        windows = stats.windows.map(Window.init)
    }
}
