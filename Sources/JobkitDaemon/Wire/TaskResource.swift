public import FoundationEssentials
public import Jobkit

/// One task as the API shows it, in `GET /v1/tasks`, `GET /v1/tasks/{id}` and the status's recent
/// tasks alike: the wire form of Jobkit's ``TaskStatus``, whose field names are the library's.
public struct TaskResource: Codable, Sendable, Hashable {
    public var id: TaskID
    public var name: String
    /// The job type.
    public var job: String
    public var state: TaskState
    /// Set once the task has finished.
    public var outcome: TaskOutcome?
    /// The current or last attempt (0 before the first).
    public var attempt: Int
    /// Attempts allowed in all.
    public var maxAttempts: Int
    /// The worker running it, while it runs.
    public var worker: String?
    /// The run it belongs to.
    public var run: String?
    public var dependsOn: [TaskID]
    /// Slots it needs, by pool.
    public var pools: [String: Int]
    public var submittedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When the next attempt is due, while in `retry_wait`.
    public var retryAt: Date?
    /// 0…1, as the job last reported it.
    public var progress: Double?
    public var progressMessage: String?
    public var lastError: String?

    /// The wire form of `status`.
    public init(_ status: TaskStatus) {
        id = status.id
        name = status.name
        job = status.jobType
        state = status.state
        outcome = status.outcome
        attempt = status.attempt
        maxAttempts = status.maxAttempts
        worker = status.worker
        run = status.correlationID
        dependsOn = status.dependsOn
        pools = status.pools
        submittedAt = status.submittedAt
        startedAt = status.startedAt
        finishedAt = status.finishedAt
        retryAt = status.retryAt
        progress = status.progress?.fraction
        progressMessage = status.progress?.message
        lastError = status.lastError
    }
}
