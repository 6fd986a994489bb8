/// One thing a scheduler did, as its observers receive it.
///
/// An observer gets one value per thing that happened, as a swift-log handler gets one `LogEvent`:
/// it switches on what it cares about, and a new kind of activity is a new case rather than a new
/// requirement of every observer. ``JobEvent`` is the published, serialisable form of the same facts.
public enum JobActivity: Sendable, Hashable {
    /// A task entered `to`; `from` is `nil` when the task was just submitted.
    case stateChanged(TaskRef, from: TaskState?, to: TaskState)
    /// An attempt started on `worker`; `queueWait` is the time from ready (dependencies done) to start.
    case started(TaskRef, attempt: Int, worker: WorkerID, queueWait: Duration)
    /// The job reported progress.
    case progress(TaskRef, attempt: Int, fraction: Double?, message: String?)
    /// The job wrote a log line.
    case log(TaskRef, attempt: Int, level: LogLevel, message: String, metadata: [String: JSONValue])
    /// An attempt failed and another follows after `delay`.
    case retrying(TaskRef, attempt: Int, delay: Duration, error: String)
    /// An attempt was interrupted by a shutdown that keeps the task unfinished
    /// (``Scheduler/ShutdownMode/interrupt``); the task is pending again and does not finish here.
    case interrupted(TaskRef, attempt: Int, duration: Duration?)
    /// The task ended for good. `duration` is the last attempt's run time (`nil` if it never ran).
    case finished(TaskRef, outcome: TaskOutcome, attempt: Int, duration: Duration?, error: String?)
    /// The task could not get `slots` from `pool` at once and waits.
    case poolWaitBegan(TaskRef, pool: String, slots: Int)
    /// The task got its `slots` from `pool` after waiting `waited` (zero when none were lacking).
    case poolAcquired(TaskRef, pool: String, slots: Int, waited: Duration)
    /// The task gave its `slots` back to `pool`.
    case poolReleased(TaskRef, pool: String, slots: Int)
    /// A worker started (`busy`) or stopped running tasks.
    case workerStateChanged(WorkerID, busy: Bool)
}
