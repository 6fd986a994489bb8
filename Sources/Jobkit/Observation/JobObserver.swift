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
/// ## Implementation requirements
/// - Be cheap and never block: `observe` runs inline on worker threads and on callers' threads.
/// - Do not call back into the scheduler (`spawn`, `cancel`, `tasks()`): state changes are observed
///   while the scheduler holds its lock, which is what keeps their order consistent. To react to
///   events with more work, subscribe to ``EventStream`` instead.
///
/// - Warning: `observe` may be called concurrently from several threads; the observer must be
///   thread-safe. For one task, activities arrive in the order things happened.
public protocol JobObserver: Sendable {
    /// Something happened.
    func observe(_ activity: JobActivity)
}

/// An observer that ignores everything.
public struct NoopJobObserver: JobObserver {
    public init() {}

    public func observe(_ activity: JobActivity) {}
}
