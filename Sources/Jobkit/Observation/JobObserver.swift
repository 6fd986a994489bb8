/// Synchronous hooks into everything a scheduler does; the seam metrics, logs and UIs plug into.
///
/// Every method has an empty default, so an observer implements only what it needs:
///
/// ```swift
/// final class FailureCounter: JobObserver {
///     let failures = Atomic<Int>(0)
///     func taskFinished(_ task: TaskRef, outcome: TaskOutcome, attempt: Int, duration: Duration?, error: String?) {
///         if outcome != .succeeded { failures.add(1, ordering: .relaxed) }
///     }
/// }
/// let scheduler = try Scheduler(SchedulerConfiguration(workers: 4), observers: [FailureCounter()])
/// ```
///
/// ## Implementation requirements
/// - Be cheap and never block: hooks run inline on worker threads and on callers' threads.
/// - Do not call back into the scheduler (`spawn`, `cancel`, `tasks()`): state-change hooks run while
///   the scheduler holds its lock, which is what keeps their order consistent. To react to events with
///   more work, subscribe to ``EventStream`` instead.
///
/// - Warning: Hooks may be called concurrently from several threads; the observer must be thread-safe.
///   For one task, hooks arrive in the order things happened.
public protocol JobObserver: Sendable {
    /// A task entered `state`; `previous` is `nil` when the task was just submitted.
    func taskStateChanged(_ task: TaskRef, from previous: TaskState?, to state: TaskState)
    /// An attempt started on `worker`; `queueWait` is the time from ready (dependencies done) to start.
    func taskStarted(_ task: TaskRef, attempt: Int, worker: WorkerID, queueWait: Duration)
    /// The job reported progress.
    func taskProgress(_ task: TaskRef, attempt: Int, fraction: Double?, message: String?)
    /// The job wrote a log line.
    func taskLog(_ task: TaskRef, attempt: Int, level: LogLevel, message: String, metadata: [String: JSONValue])
    /// An attempt failed and another follows after `delay`.
    func taskRetrying(_ task: TaskRef, attempt: Int, delay: Duration, error: String)
    /// An attempt was interrupted by a shutdown that keeps the task unfinished
    /// (``Scheduler/ShutdownMode/interrupt``); the task is pending again and does not finish here.
    func taskInterrupted(_ task: TaskRef, attempt: Int, duration: Duration?)
    /// The task ended for good. `duration` is the last attempt's run time (`nil` if it never ran).
    func taskFinished(_ task: TaskRef, outcome: TaskOutcome, attempt: Int, duration: Duration?, error: String?)
    /// The task could not get `slots` from `pool` at once and waits.
    func poolWaitBegan(_ task: TaskRef, pool: String, slots: Int)
    /// The task got its `slots` from `pool` after waiting `waited` (zero when none were lacking).
    func poolAcquired(_ task: TaskRef, pool: String, slots: Int, waited: Duration)
    /// The task gave its `slots` back to `pool`.
    func poolReleased(_ task: TaskRef, pool: String, slots: Int)
    /// A worker started (`busy`) or stopped running tasks.
    func workerStateChanged(_ worker: WorkerID, busy: Bool)
}

extension JobObserver {
    public func taskStateChanged(_ task: TaskRef, from previous: TaskState?, to state: TaskState) {}
    public func taskStarted(_ task: TaskRef, attempt: Int, worker: WorkerID, queueWait: Duration) {}
    public func taskProgress(_ task: TaskRef, attempt: Int, fraction: Double?, message: String?) {}
    public func taskLog(
        _ task: TaskRef,
        attempt: Int,
        level: LogLevel,
        message: String,
        metadata: [String: JSONValue]
    ) {}
    public func taskRetrying(_ task: TaskRef, attempt: Int, delay: Duration, error: String) {}
    public func taskInterrupted(_ task: TaskRef, attempt: Int, duration: Duration?) {}
    public func taskFinished(_ task: TaskRef, outcome: TaskOutcome, attempt: Int, duration: Duration?, error: String?) {
    }
    public func poolWaitBegan(_ task: TaskRef, pool: String, slots: Int) {}
    public func poolAcquired(_ task: TaskRef, pool: String, slots: Int, waited: Duration) {}
    public func poolReleased(_ task: TaskRef, pool: String, slots: Int) {}
    public func workerStateChanged(_ worker: WorkerID, busy: Bool) {}
}

/// An observer that ignores everything.
public struct NoopJobObserver: JobObserver {
    public init() {}
}
