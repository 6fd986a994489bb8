/// A synchronous hook into everything a scheduler does; the seam metrics, logs and UIs plug into.
///
/// The scheduler hands each observer one ``JobActivity`` per thing that happened; an observer
/// switches on the cases it needs:
///
/// ```swift
/// final class FailureCounter: JobObserver {
///     let failures = Atomic<Int>(0)
///     func observe(_ activity: JobActivity) {
///         if case .finished(_, let outcome, _, _, _) = activity, outcome != .succeeded {
///             failures.add(1, ordering: .relaxed)
///         }
///     }
/// }
/// let scheduler = try Scheduler(SchedulerConfiguration(workers: 4), observers: [FailureCounter()])
/// ```
///
/// An observer that needs only some kinds of activity says so in ``interests``, and is not called for
/// the others: a task makes about six activities, and a metrics observer needs two of them.
///
/// ## Implementation requirements
/// - Be cheap and never block: `observe` runs inline on worker threads and on callers' threads.
/// - Do not call back into the scheduler (`spawn`, `cancel`, `tasks()`): activities are delivered
///   under a delivery lock taken in the order of the scheduler's decisions, and a thread holding the
///   scheduler's lock may be waiting for it. To react to events with more work, subscribe to
///   ``EventStream`` instead.
///
/// - Warning: `observe` is called from several threads (callers of `spawn`, workers), one at a time
///   and in the order things happened; the observer must still be thread-safe towards its own readers.
public protocol JobObserver: Sendable {
    /// The kinds of activity to be given; read once, when the scheduler is made. Every kind by default.
    var interests: JobActivity.Kinds { get }

    /// Something happened.
    func observe(_ activity: JobActivity)
}

extension JobObserver {
    public var interests: JobActivity.Kinds { .all }
}

/// An observer that ignores everything.
public struct NoopJobObserver: JobObserver {
    public init() {}

    public func observe(_ activity: JobActivity) {}
}
