/// The scheduler feeds its event stream as it feeds every other observer.
extension EventStream: JobObserver {
    public func observe(_ activity: JobActivity) {
        if Self.carries(activity) { record(activity, at: wallTime()) }
    }

    /// Whether `activity` has a published event (``event(for:)`` is not `nil`).
    static func carries(_ activity: JobActivity) -> Bool {
        switch activity {
        case .stateChanged(_, let from, _): from == nil
        case .poolAcquired, .poolReleased, .workerStateChanged: false
        case .started, .progress, .log, .retrying, .interrupted, .finished, .poolWaitBegan: true
        }
    }

    /// The published event of an activity; `nil` for those the stream does not carry (state changes
    /// other than submission, pool grants and releases, worker changes).
    static func event(for activity: JobActivity) -> JobEvent? {
        switch activity {
        case .stateChanged(let task, nil, _):
            JobEvent(kind: .queued, task: task)
        case .started(let task, let attempt, let worker, let queueWait):
            JobEvent(kind: .started, task: task, attempt: attempt, worker: worker.name, duration: queueWait.seconds)
        case .progress(let task, let attempt, let fraction, let message):
            JobEvent(kind: .progress, task: task, attempt: attempt, message: message, progress: fraction)
        case .log(let task, let attempt, let level, let message, let metadata):
            JobEvent(
                kind: .log, task: task, attempt: attempt, level: level, message: message,
                metadata: metadata.isEmpty ? nil : metadata)
        case .retrying(let task, let attempt, let delay, let error):
            JobEvent(kind: .retrying, task: task, attempt: attempt, duration: delay.seconds, error: error)
        case .interrupted(let task, let attempt, let duration):
            JobEvent(kind: .interrupted, task: task, attempt: attempt, duration: duration?.seconds)
        case .finished(let task, let outcome, let attempt, let duration, let error):
            JobEvent(kind: .finished(outcome), task: task, attempt: attempt, duration: duration?.seconds, error: error)
        case .poolWaitBegan(let task, let pool, let slots):
            JobEvent(kind: .waiting, task: task, pool: pool, metadata: ["slots": .number(Double(slots))])
        case .stateChanged, .poolAcquired, .poolReleased, .workerStateChanged:
            nil
        }
    }
}
