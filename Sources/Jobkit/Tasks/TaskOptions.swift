/// What a dependant does when one of its dependencies fails, times out or is skipped.
///
/// A cancelled dependency always cancels its dependants, whatever the policy.
public enum DependencyFailurePolicy: String, Sendable, Hashable, Codable {
    /// Fail too (outcome ``TaskOutcome/failed``), naming the dependency in the error.
    case fail
    /// Do not run (outcome ``TaskOutcome/skipped``).
    case skip
    /// Run anyway, as if the dependency had succeeded (clean-up and reporting tasks).
    case ignore
}

/// Per-task settings. Every field has a default, so `TaskOptions()` is a plain task.
public struct TaskOptions: Sendable {
    /// The kind of work, a bounded set used as a metric label; defaults to the task's name.
    public var jobType: String?
    /// Tasks that must finish before this one starts.
    public var dependsOn: [TaskHandle]
    /// What to do when a dependency fails.
    public var onDependencyFailure: DependencyFailurePolicy
    /// Slots needed from each resource pool, by pool name; all are acquired together before the task runs.
    public var pools: [String: Int]
    /// Attempts and backoff.
    public var retry: RetryPolicy
    /// Longest an attempt may run before it is cancelled and counted as timed out; `nil` = no limit.
    public var timeout: Duration?
    /// The run (pipeline invocation) this task belongs to; put on every event of the task.
    public var correlationID: String?
    /// Attempts the task made before it was submitted here, in an earlier process that kept it in a
    /// persistent queue: its next attempt is number `attemptsMade + 1`. ``retry`` counts only the attempts
    /// made here, so pass the retries the task has left.
    public var attemptsMade: Int
    /// With ``attemptsMade`` above zero: how long the task waits, once ready, before its next attempt, in
    /// `retry_wait` as after a failed attempt (the backoff that was running when the earlier process stopped).
    public var retryDelay: Duration?
    /// The id the task gets, `nil` for the scheduler's next: an id from ``Scheduler/reserveTaskIDs(_:)``,
    /// or the one a task kept in a persistent queue had in an earlier process (below the scheduler's
    /// ``SchedulerConfiguration/firstTaskID``). A submission with an id another task of the scheduler has
    /// is refused (`.taskIDInUse`).
    public var id: TaskID?

    /// Default failure policy: fail dependants, so a broken pipeline is loud.
    public static let defaultDependencyFailurePolicy = DependencyFailurePolicy.fail

    public init(
        jobType: String? = nil,
        dependsOn: [TaskHandle] = [],
        onDependencyFailure: DependencyFailurePolicy = defaultDependencyFailurePolicy,
        pools: [String: Int] = [:],
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        correlationID: String? = nil,
        attemptsMade: Int = 0,
        retryDelay: Duration? = nil,
        id: TaskID? = nil
    ) {
        self.jobType = jobType
        self.dependsOn = dependsOn
        self.onDependencyFailure = onDependencyFailure
        self.pools = pools
        self.retry = retry
        self.timeout = timeout
        self.correlationID = correlationID
        self.attemptsMade = attemptsMade
        self.retryDelay = retryDelay
        self.id = id
    }
}

/// The work of a task: a blocking closure that holds its worker thread, or an async one.
public enum TaskBody: Sendable {
    /// Runs on the worker's own thread; may block (subprocess waits, file I/O) without starving async code.
    case blocking(@Sendable (TaskContext) throws -> Void)
    /// Runs as a Swift task while its worker waits for it; cancelled when the task is.
    case async(@Sendable (TaskContext) async throws -> Void)
}
