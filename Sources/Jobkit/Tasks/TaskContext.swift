import Synchronization

/// Why a running attempt was asked to stop.
public enum CancellationReason: String, Sendable, Hashable {
    /// A caller cancelled the task, a dependency was cancelled, or the scheduler is shutting down.
    case cancelled
    /// The attempt ran past its timeout.
    case timedOut = "timed_out"
    /// The scheduler is stopping and keeps the task unfinished, to run again later
    /// (``Scheduler/ShutdownMode/interrupt``): the attempt does not count against its retries.
    case interrupted
}

/// What a running job sees of its task: identity, cancellation, and the one channel for progress and log lines.
///
/// Progress and log lines go to the scheduler's observers and event stream, tagged with the task,
/// its job type, attempt and run, so there is exactly one place to look for what a task said.
///
/// ```swift
/// try scheduler.spawnBlocking("compact") { ctx in
///     for (index, file) in files.enumerated() {
///         try ctx.checkCancellation()
///         compact(file)
///         ctx.progress(Double(index + 1) / Double(files.count), "compacted \(file)")
///     }
///     ctx.log(.info, "done", metadata: ["files": .number(Double(files.count))])
/// }
/// ```
///
/// - Warning: Cancellation is cooperative: a job that never looks at ``isCancelled`` (and registers no
///   ``onCancel(_:)`` handler) keeps its worker until it returns.
public final class TaskContext: Sendable {
    /// The task this attempt belongs to.
    public let task: TaskRef
    /// 1 for the first attempt, 2 for the first retry, … (attempts made before a restart included)
    public let attempt: Int
    /// The worker running the attempt.
    public let worker: WorkerID
    /// The scheduler's clock, for `sleep` and deadlines that must follow injected time.
    public let clock: JobClock

    private let delivery: ActivityDelivery
    private let cancellation = Mutex(CancellationState())
    private let progressState = Mutex<TaskProgress?>(nil)

    private struct CancellationState {
        var reason: CancellationReason?
        var handlers: [@Sendable (CancellationReason) -> Void] = []
    }

    init(task: TaskRef, attempt: Int, worker: WorkerID, clock: JobClock, delivery: ActivityDelivery) {
        self.task = task
        self.attempt = attempt
        self.worker = worker
        self.clock = clock
        self.delivery = delivery
    }

    /// Whether the attempt has been asked to stop (cancelled, timed out or interrupted).
    public var isCancelled: Bool { cancellationReason != nil }

    /// Why the attempt has been asked to stop, or `nil` while it may go on.
    public var cancellationReason: CancellationReason? { cancellation.withLock { $0.reason } }

    /// Throws `CancellationError` if the attempt has been asked to stop.
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }

    /// Runs `handler` once when the attempt is asked to stop (at once if it already has been).
    ///
    /// Handlers run on the thread that cancels, outside the scheduler's lock; keep them short
    /// (send a signal, close a descriptor).
    public func onCancel(_ handler: @escaping @Sendable (CancellationReason) -> Void) {
        let reason = cancellation.withLock { state -> CancellationReason? in
            if let reason = state.reason { return reason }
            state.handlers.append(handler)
            return nil
        }
        if let reason { handler(reason) }
    }

    /// Reports how far the task has come.
    ///
    /// - Parameters:
    ///   - fraction: 0…1 (clamped), or `nil` when unknown.
    ///   - message: what it is doing now.
    public func progress(_ fraction: Double?, _ message: String? = nil) {
        let clamped = fraction.map { $0.isNaN ? 0 : min(max($0, 0), 1) }
        let update = TaskProgress(fraction: clamped, message: message)
        progressState.withLock { $0 = update }
        delivery.deliver(.progress(task, attempt: attempt, fraction: clamped, message: message))
    }

    /// Emits a log line of this task.
    public func log(_ level: LogLevel, _ message: String, metadata: [String: JSONValue] = [:]) {
        delivery.deliver(.log(task, attempt: attempt, level: level, message: message, metadata: metadata))
    }

    /// Suspends for `duration` on the scheduler's clock.
    ///
    /// - Throws: `CancellationError` when the attempt is cancelled (async jobs only; blocking jobs
    ///   poll ``isCancelled``).
    public func sleep(for duration: Duration) async throws {
        try checkCancellation()
        try await clock.sleep(for: duration)
    }

    /// The last progress reported in this attempt.
    var lastProgress: TaskProgress? { progressState.withLock { $0 } }

    /// Marks the attempt as asked to stop and runs the handlers; later calls change nothing.
    ///
    /// Must be called outside the scheduler's lock: handlers are user code.
    func cancel(_ reason: CancellationReason) {
        let handlers = cancellation.withLock { state -> [@Sendable (CancellationReason) -> Void] in
            guard state.reason == nil else { return [] }
            state.reason = reason
            defer { state.handlers = [] }
            return state.handlers
        }
        for handler in handlers { handler(reason) }
    }
}

/// A task's last reported progress.
public struct TaskProgress: Sendable, Hashable, Codable {
    /// 0…1, or `nil` when unknown.
    public var fraction: Double?
    public var message: String?

    public init(fraction: Double?, message: String?) {
        self.fraction = fraction
        self.message = message
    }
}
