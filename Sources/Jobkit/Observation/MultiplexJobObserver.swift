/// Forwards every hook to several observers, in order.
public struct MultiplexJobObserver: JobObserver {
    public let observers: [any JobObserver]

    public init(_ observers: [any JobObserver]) {
        self.observers = observers
    }

    public func taskStateChanged(_ task: TaskRef, from previous: TaskState?, to state: TaskState) {
        for observer in observers { observer.taskStateChanged(task, from: previous, to: state) }
    }

    public func taskStarted(_ task: TaskRef, attempt: Int, worker: WorkerID, queueWait: Duration) {
        for observer in observers { observer.taskStarted(task, attempt: attempt, worker: worker, queueWait: queueWait) }
    }

    public func taskProgress(_ task: TaskRef, attempt: Int, fraction: Double?, message: String?) {
        for observer in observers {
            observer.taskProgress(task, attempt: attempt, fraction: fraction, message: message)
        }
    }

    public func taskLog(
        _ task: TaskRef,
        attempt: Int,
        level: LogLevel,
        message: String,
        metadata: [String: JSONValue]
    ) {
        for observer in observers {
            observer.taskLog(task, attempt: attempt, level: level, message: message, metadata: metadata)
        }
    }

    public func taskRetrying(_ task: TaskRef, attempt: Int, delay: Duration, error: String) {
        for observer in observers { observer.taskRetrying(task, attempt: attempt, delay: delay, error: error) }
    }

    public func taskInterrupted(_ task: TaskRef, attempt: Int, duration: Duration?) {
        for observer in observers { observer.taskInterrupted(task, attempt: attempt, duration: duration) }
    }

    public func taskFinished(_ task: TaskRef, outcome: TaskOutcome, attempt: Int, duration: Duration?, error: String?) {
        for observer in observers {
            observer.taskFinished(task, outcome: outcome, attempt: attempt, duration: duration, error: error)
        }
    }

    public func poolWaitBegan(_ task: TaskRef, pool: String, slots: Int) {
        for observer in observers { observer.poolWaitBegan(task, pool: pool, slots: slots) }
    }

    public func poolAcquired(_ task: TaskRef, pool: String, slots: Int, waited: Duration) {
        for observer in observers { observer.poolAcquired(task, pool: pool, slots: slots, waited: waited) }
    }

    public func poolReleased(_ task: TaskRef, pool: String, slots: Int) {
        for observer in observers { observer.poolReleased(task, pool: pool, slots: slots) }
    }

    public func workerStateChanged(_ worker: WorkerID, busy: Bool) {
        for observer in observers { observer.workerStateChanged(worker, busy: busy) }
    }
}
