public import Jobkit
import Synchronization

/// An observer that records every hook call, for assertions.
public final class RecordingJobObserver: JobObserver {
    /// One recorded hook call.
    public enum Call: Sendable, Hashable {
        case stateChanged(TaskID, from: TaskState?, to: TaskState)
        case started(TaskID, attempt: Int, worker: String)
        case progress(TaskID, fraction: Double?, message: String?)
        case log(TaskID, level: LogLevel, message: String)
        case retrying(TaskID, attempt: Int, delay: Duration)
        case interrupted(TaskID, attempt: Int)
        case finished(TaskID, outcome: TaskOutcome, attempt: Int)
        case poolWaitBegan(TaskID, pool: String)
        case poolAcquired(TaskID, pool: String, slots: Int, waited: Duration)
        case poolReleased(TaskID, pool: String, slots: Int)
        case workerBusy(String, Bool)
    }

    private let recorded = Mutex<[Call]>([])

    public init() {}

    /// Every call so far, in order.
    public var calls: [Call] { recorded.withLock { $0 } }

    /// The calls so far that `filter` selects.
    public func calls(where filter: (Call) -> Bool) -> [Call] { recorded.withLock { $0.filter(filter) } }

    private func record(_ call: Call) { recorded.withLock { $0.append(call) } }

    public func taskStateChanged(_ task: TaskRef, from previous: TaskState?, to state: TaskState) {
        record(.stateChanged(task.id, from: previous, to: state))
    }

    public func taskStarted(_ task: TaskRef, attempt: Int, worker: WorkerID, queueWait: Duration) {
        record(.started(task.id, attempt: attempt, worker: worker.name))
    }

    public func taskProgress(_ task: TaskRef, attempt: Int, fraction: Double?, message: String?) {
        record(.progress(task.id, fraction: fraction, message: message))
    }

    public func taskLog(
        _ task: TaskRef,
        attempt: Int,
        level: LogLevel,
        message: String,
        metadata: [String: JSONValue]
    ) {
        record(.log(task.id, level: level, message: message))
    }

    public func taskRetrying(_ task: TaskRef, attempt: Int, delay: Duration, error: String) {
        record(.retrying(task.id, attempt: attempt, delay: delay))
    }

    public func taskInterrupted(_ task: TaskRef, attempt: Int, duration: Duration?) {
        record(.interrupted(task.id, attempt: attempt))
    }

    public func taskFinished(_ task: TaskRef, outcome: TaskOutcome, attempt: Int, duration: Duration?, error: String?) {
        record(.finished(task.id, outcome: outcome, attempt: attempt))
    }

    public func poolWaitBegan(_ task: TaskRef, pool: String, slots: Int) {
        record(.poolWaitBegan(task.id, pool: pool))
    }

    public func poolAcquired(_ task: TaskRef, pool: String, slots: Int, waited: Duration) {
        record(.poolAcquired(task.id, pool: pool, slots: slots, waited: waited))
    }

    public func poolReleased(_ task: TaskRef, pool: String, slots: Int) {
        record(.poolReleased(task.id, pool: pool, slots: slots))
    }

    public func workerStateChanged(_ worker: WorkerID, busy: Bool) {
        record(.workerBusy(worker.name, busy))
    }
}
