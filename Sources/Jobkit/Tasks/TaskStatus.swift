public import FoundationEssentials

/// A snapshot of one task, for listings and the status API.
public struct TaskStatus: Sendable, Hashable, Codable {
    public var id: TaskID
    public var name: String
    /// The kind of work (metric label `job`).
    public var jobType: String
    public var state: TaskState
    /// Set once the task has finished.
    public var outcome: TaskOutcome?
    /// The current or last attempt (0 before the first).
    public var attempt: Int
    /// Attempts allowed in all.
    public var maxAttempts: Int
    /// The worker running it, while it runs.
    public var worker: String?
    /// The run (pipeline invocation) it belongs to.
    public var correlationID: String?
    public var dependsOn: [TaskID]
    /// Slots it needs, by pool.
    public var pools: [String: Int]
    public var submittedAt: Date
    /// When its dependencies were done (latest attempt).
    public var readyAt: Date?
    /// When its latest attempt started.
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When the next attempt is due, while in `retry_wait`.
    public var retryAt: Date?
    public var progress: TaskProgress?
    public var lastError: String?
}

/// A snapshot of one worker.
public struct WorkerStatus: Sendable, Hashable, Codable {
    public var name: String
    public var busy: Bool
    /// The task it runs, if any.
    public var task: TaskID?
    public var taskName: String?

    public init(name: String, busy: Bool, task: TaskID?, taskName: String?) {
        self.name = name
        self.busy = busy
        self.task = task
        self.taskName = taskName
    }
}

/// A snapshot of one resource pool.
public struct PoolStatus: Sendable, Hashable, Codable {
    public var name: String
    public var slots: Int
    public var inUse: Int
    /// Tasks waiting for slots.
    public var waiting: Int

    public init(name: String, slots: Int, inUse: Int, waiting: Int) {
        self.name = name
        self.slots = slots
        self.inUse = inUse
        self.waiting = waiting
    }
}
