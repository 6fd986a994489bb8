public import Jobkit

/// Runs `scheduler` for the duration of `body`, then cancels what is left and waits for it to stop.
///
/// ```swift
/// try await withRunningScheduler(scheduler) { scheduler in
///     let handle = try scheduler.spawn("work") { _ in }
///     #expect(await handle.result().outcome == .succeeded)
/// }
/// ```
@discardableResult
public func withRunningScheduler<Result: Sendable>(
    _ scheduler: Scheduler,
    _ body: (Scheduler) async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await scheduler.run() }
        do {
            let result = try await body(scheduler)
            scheduler.shutdown(.cancel)
            try await group.waitForAll()
            return result
        } catch {
            scheduler.shutdown(.cancel)
            try? await group.waitForAll()
            throw error
        }
    }
}

extension EventSubscription {
    /// The next event `predicate` accepts, skipping others and lag markers; `nil` if the stream ends.
    public func next(where predicate: (JobEvent) -> Bool) async -> JobEvent? {
        var iterator = makeAsyncIterator()
        while let element = await iterator.next() {
            if case .event(let event) = element, predicate(event) { return event }
        }
        return nil
    }
}
