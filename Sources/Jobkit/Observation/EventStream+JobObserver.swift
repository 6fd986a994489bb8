/// The scheduler feeds its event stream through the same hooks as every other observer.
extension EventStream: JobObserver {
    public func taskStateChanged(_ task: TaskRef, from previous: TaskState?, to state: TaskState) {
        if previous == nil { record(JobEvent(kind: .queued, task: task)) }
    }

    public func taskStarted(_ task: TaskRef, attempt: Int, worker: WorkerID, queueWait: Duration) {
        record(
            JobEvent(kind: .started, task: task, attempt: attempt, worker: worker.name, duration: queueWait.seconds))
    }

    public func taskProgress(_ task: TaskRef, attempt: Int, fraction: Double?, message: String?) {
        record(JobEvent(kind: .progress, task: task, attempt: attempt, message: message, progress: fraction))
    }

    public func taskLog(
        _ task: TaskRef,
        attempt: Int,
        level: LogLevel,
        message: String,
        metadata: [String: JSONValue]
    ) {
        record(
            JobEvent(
                kind: .log, task: task, attempt: attempt, level: level, message: message,
                metadata: metadata.isEmpty ? nil : metadata))
    }

    public func taskRetrying(_ task: TaskRef, attempt: Int, delay: Duration, error: String) {
        record(JobEvent(kind: .retrying, task: task, attempt: attempt, duration: delay.seconds, error: error))
    }

    public func taskInterrupted(_ task: TaskRef, attempt: Int, duration: Duration?) {
        record(JobEvent(kind: .interrupted, task: task, attempt: attempt, duration: duration?.seconds))
    }

    public func taskFinished(_ task: TaskRef, outcome: TaskOutcome, attempt: Int, duration: Duration?, error: String?) {
        record(
            JobEvent(kind: .finished(outcome), task: task, attempt: attempt, duration: duration?.seconds, error: error))
    }

    public func poolWaitBegan(_ task: TaskRef, pool: String, slots: Int) {
        record(JobEvent(kind: .waiting, task: task, pool: pool, metadata: ["slots": .number(Double(slots))]))
    }
}
