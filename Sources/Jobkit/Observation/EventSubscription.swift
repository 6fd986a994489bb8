import DequeModule
import Synchronization

/// What a subscriber receives: an event, or a marker that events were lost just before this point.
public enum EventStreamElement: Sendable, Hashable {
    case event(JobEvent)
    /// This many events were dropped because the subscriber fell behind (or are older than the history).
    case lagged(UInt64)
}

/// A live subscription to an ``EventStream``; iterate it with `for await`.
///
/// The subscription ends when ``cancel()`` is called, when the iterating task is cancelled, or when the
/// last reference to it goes away.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = EventStreamElement

    private let subscriber: EventSubscriber
    private let onCancel: @Sendable () -> Void

    init(subscriber: EventSubscriber, onCancel: @escaping @Sendable () -> Void) {
        self.subscriber = subscriber
        self.onCancel = onCancel
    }

    deinit { onCancel() }

    /// Ends the subscription; a pending `next()` returns `nil`.
    public func cancel() { onCancel() }

    /// The consumer name given at subscription.
    public var consumer: String { subscriber.consumer }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: EventSubscription

        public mutating func next() async -> EventStreamElement? {
            await subscription.subscriber.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }

    /// Waits for the next element, then also takes whatever else is already buffered, up to `limit` in all;
    /// empty once the subscription has ended. For writers that do better with batches (one write, one
    /// transaction).
    public func nextBatch(upTo limit: Int) async -> [EventStreamElement] {
        guard let first = await subscriber.next() else { return [] }
        return [first] + subscriber.takeBuffered(Swift.max(limit - 1, 0))
    }

    /// Hands the events to `write` in batches of up to `limit`, as they come, until the subscription
    /// ends; lag markers are skipped (the stream counts what a slow reader lost). A batch `write` throws
    /// for is counted in `failed` and not retried.
    public func writeBatches(
        upTo limit: Int, failed: (_ events: Int) -> Void = { _ in }, _ write: ([JobEvent]) throws -> Void
    ) async {
        while true {
            let batch = await nextBatch(upTo: limit)
            if batch.isEmpty { return }
            let events = batch.compactMap { element -> JobEvent? in
                if case .event(let event) = element { return event }
                return nil
            }
            do {
                try write(events)
            } catch {
                failed(events.count)
            }
        }
    }
}

/// One subscriber's bounded buffer. Lock order: the stream's lock, then this one.
final class EventSubscriber: Sendable {
    private struct State {
        var buffer = Deque<JobEvent>()
        var lost: UInt64 = 0
        var waiter: CheckedContinuation<EventStreamElement?, Never>?
        var finished = false
    }

    let consumer: String
    private let capacity: Int
    private let filter: (@Sendable (JobEvent) -> Bool)?
    private let state = Mutex(State())

    init(consumer: String, capacity: Int, filter: (@Sendable (JobEvent) -> Bool)?) {
        self.consumer = consumer
        self.capacity = capacity
        self.filter = filter
    }

    /// Buffers `event` or hands it to a waiting reader; returns how many events had to be dropped.
    func offer(_ event: JobEvent) -> UInt64 {
        if let filter, !filter(event) { return 0 }
        var dropped: UInt64 = 0
        let waiter = state.withLock { state -> CheckedContinuation<EventStreamElement?, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                // A waiting reader has an empty buffer and no pending loss: hand over directly.
                return waiter
            }
            if state.buffer.count >= capacity {
                state.buffer.removeFirst()
                state.lost += 1
                dropped = 1
            }
            state.buffer.append(event)
            return nil
        }
        waiter?.resume(returning: .event(event))
        return dropped
    }

    /// Records events lost before the subscription started (replay beyond the history).
    func markLost(_ count: UInt64) {
        state.withLock { $0.lost += count }
    }

    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<EventStreamElement?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    func next() async -> EventStreamElement? {
        if let ready = takeBuffered() { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<EventStreamElement?, Never>) in
                let immediate = state.withLock { state -> EventStreamElement?? in
                    if let element = Self.take(&state) { return .some(element) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            finish()
        }
    }

    private func takeBuffered() -> EventStreamElement? {
        state.withLock { Self.take(&$0) }
    }

    /// Up to `count` elements that are already buffered, without waiting.
    func takeBuffered(_ count: Int) -> [EventStreamElement] {
        state.withLock { state in
            var taken: [EventStreamElement] = []
            while taken.count < count, let element = Self.take(&state) { taken.append(element) }
            return taken
        }
    }

    private static func take(_ state: inout State) -> EventStreamElement? {
        if state.lost > 0 {
            defer { state.lost = 0 }
            return .lagged(state.lost)
        }
        guard let event = state.buffer.popFirst() else { return nil }
        return .event(event)
    }
}
