import Synchronization

/// How a task ended, as its handle reports it.
public struct TaskResult: Sendable, Hashable {
    public var outcome: TaskOutcome
    /// Attempts made (0 if the task never ran).
    public var attempts: Int
    /// Why it did not succeed; `nil` on success.
    public var error: String?

    public init(outcome: TaskOutcome, attempts: Int, error: String?) {
        self.outcome = outcome
        self.attempts = attempts
        self.error = error
    }
}

/// A reference to a submitted task: wait for it, cancel it, or make other tasks depend on it.
///
/// Handles stay valid after the scheduler has forgotten a finished task's status.
public struct TaskHandle: Sendable, Hashable, CustomStringConvertible {
    public let id: TaskID
    public let name: String
    let scheduler: Scheduler
    let completion: TaskCompletion

    init(id: TaskID, name: String, scheduler: Scheduler, completion: TaskCompletion) {
        self.id = id
        self.name = name
        self.scheduler = scheduler
        self.completion = completion
    }

    /// Waits until the task has finished and returns how it ended.
    public func result() async -> TaskResult {
        await completion.wait()
    }

    /// The result if the task has finished, else `nil`.
    public var finishedResult: TaskResult? { completion.current }

    /// Asks the task to stop; see ``Scheduler/cancel(_:)``.
    ///
    /// - Returns: `false` if the task had already finished.
    @discardableResult
    public func cancel() -> Bool {
        (try? scheduler.cancel(id)) ?? false
    }

    public static func == (lhs: TaskHandle, rhs: TaskHandle) -> Bool {
        lhs.id == rhs.id && lhs.scheduler === rhs.scheduler
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(ObjectIdentifier(scheduler))
    }

    public var description: String { "\(name) (\(id))" }
}

/// The one-shot result of a task, shared by its handles; outlives the scheduler's record of the task.
final class TaskCompletion: Sendable {
    private struct State {
        var result: TaskResult?
        var waiters: [CheckedContinuation<TaskResult, Never>] = []
    }

    private let state = Mutex(State())

    var current: TaskResult? { state.withLock { $0.result } }

    /// Sets the result once and wakes every waiter.
    func complete(_ result: TaskResult) {
        let waiters = state.withLock { state -> [CheckedContinuation<TaskResult, Never>] in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    func wait() async -> TaskResult {
        if let result = current { return result }
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> TaskResult? in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
