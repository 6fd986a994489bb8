import DequeModule
import FoundationEssentials
import Synchronization

/// The one typed stream of everything that happens: task events from the scheduler, plus whatever
/// daemons ``publish(_:)`` (their own lifecycle, alerts).
///
/// Events get a strictly increasing `seq`. Each subscriber has a bounded buffer: when it falls behind,
/// its oldest buffered events are dropped and it receives a ``EventStreamElement/lagged(_:)`` marker
/// with the number lost. Publishing never waits for a subscriber, so a slow reader never blocks a worker.
///
/// ```swift
/// for await element in scheduler.events.subscribe(consumer: "log") {
///     switch element {
///     case .event(let event): print(event.seq, event.kind, event.name ?? "")
///     case .lagged(let lost): print("missed \(lost) events")
///     }
/// }
/// ```
public final class EventStream: Sendable {
    /// Settings of an event stream.
    public struct Configuration: Sendable, Hashable {
        /// Default number of recent events kept for replay (`since:`).
        public static let defaultHistoryCapacity = 4096
        /// Default buffer of one subscriber.
        public static let defaultSubscriberBufferSize = 1024
        /// Largest sequence number, 2^53 − 1: every JSON reader (JavaScript's among them) holds it exactly.
        /// At a million events a second it lasts 285 years.
        public static let maximumSeq: UInt64 = (1 << 53) - 1

        /// Recent events kept so a subscriber can resume from a sequence number.
        public var historyCapacity: Int
        /// Buffer size of a subscriber that does not choose its own.
        public var subscriberBufferSize: Int
        /// Sequence number of the first event (1). A daemon that keeps an event log starts after the last
        /// logged event, so sequence numbers stay unique across restarts.
        public var firstSeq: UInt64

        public init(
            historyCapacity: Int = defaultHistoryCapacity,
            subscriberBufferSize: Int = defaultSubscriberBufferSize,
            firstSeq: UInt64 = 1
        ) {
            self.historyCapacity = historyCapacity
            self.subscriberBufferSize = subscriberBufferSize
            self.firstSeq = firstSeq
        }

        func validate() throws {
            guard historyCapacity >= 0 else {
                throw JobError(.invalidConfiguration, "event history capacity \(historyCapacity) is negative")
            }
            guard subscriberBufferSize >= 1 else {
                throw JobError(.invalidConfiguration, "event subscriber buffer size \(subscriberBufferSize) is below 1")
            }
            guard firstSeq >= 1 else {
                throw JobError(.invalidConfiguration, "event sequence numbers start at 1 or above")
            }
            guard firstSeq <= Self.maximumSeq else {
                throw JobError(
                    .invalidConfiguration,
                    "first event sequence number \(firstSeq) is above the largest, \(Self.maximumSeq) (2^53 − 1)")
            }
        }
    }

    /// An event as the history keeps it. The scheduler's activities are kept as they came and turned into
    /// events only when read: most are never read, and building each event allocates its fields' box.
    private enum Retained {
        case published(JobEvent)
        case activity(JobActivity, seq: UInt64, time: Date)

        var seq: UInt64 {
            switch self {
            case .published(let event): event.seq
            case .activity(_, let seq, _): seq
            }
        }

        var event: JobEvent {
            switch self {
            case .published(let event):
                return event
            case .activity(let activity, let seq, let time):
                // Only activities the stream carries are retained.
                var event = EventStream.event(for: activity)!
                event.seq = seq
                event.time = time
                return event
            }
        }
    }

    private struct State {
        var nextSeq: UInt64 = 1
        var history = Deque<Retained>()
        var subscribers: [UInt64: EventSubscriber] = [:]
        var nextSubscriberID: UInt64 = 0
        var droppedByConsumer: [String: UInt64] = [:]
    }

    public let configuration: Configuration
    private let clock: JobClock
    private let state: Mutex<State>

    /// - Throws: ``JobError`` (`.invalidConfiguration`) for a negative history, a buffer below 1 or a first
    ///   sequence number of 0.
    public init(configuration: Configuration = Configuration(), clock: JobClock = .continuous) throws {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        var state = State()
        state.nextSeq = configuration.firstSeq
        self.state = Mutex(state)
    }

    /// Stamps `event` with the next sequence number and the current time and delivers it to every subscriber.
    ///
    /// - Returns: the event as delivered.
    @discardableResult
    public func publish(_ event: consuming JobEvent) -> JobEvent {
        var event = event
        deliver(&event)
        return event
    }

    /// The time events are stamped with now.
    func wallTime() -> Date { clock.wallTime() }

    /// Publishes the event of a scheduler activity the stream carries (``carries(_:)``), stamped with
    /// `time`, building it only if a subscriber is there to receive it now.
    func record(_ activity: JobActivity, at time: Date) {
        state.withLock { state in
            let seq = state.nextSeq
            state.nextSeq += 1
            if !state.subscribers.isEmpty {
                var event = Self.event(for: activity)!
                event.seq = seq
                event.time = time
                offer(event, in: &state)
            }
            retain(.activity(activity, seq: seq, time: time), in: &state)
        }
    }

    private func deliver(_ event: inout JobEvent) {
        event.time = clock.wallTime()
        state.withLock { state in
            event.seq = state.nextSeq
            state.nextSeq += 1
            offer(event, in: &state)
            retain(.published(event), in: &state)
        }
    }

    private func offer(_ event: JobEvent, in state: inout State) {
        for subscriber in state.subscribers.values {
            let dropped = subscriber.offer(event)
            if dropped > 0 { state.droppedByConsumer[subscriber.consumer, default: 0] += dropped }
        }
    }

    private func retain(_ entry: Retained, in state: inout State) {
        guard configuration.historyCapacity > 0 else { return }
        if state.history.count == configuration.historyCapacity { state.history.removeFirst() }
        state.history.append(entry)
    }

    /// Starts a subscription.
    ///
    /// - Parameters:
    ///   - consumer: who reads (`log`, `api`, `tui`): a small fixed set, used to count dropped events.
    ///   - bufferSize: events held for this reader before the oldest are dropped; `nil` = the configured default.
    ///   - since: replay retained events with a larger `seq` first; if some are no longer retained, a
    ///     ``EventStreamElement/lagged(_:)`` marker says how many.
    ///   - filter: only events for which this returns `true` are delivered (and buffered).
    public func subscribe(
        consumer: String,
        bufferSize: Int? = nil,
        since: UInt64? = nil,
        filter: (@Sendable (JobEvent) -> Bool)? = nil
    ) -> EventSubscription {
        let capacity = max(bufferSize ?? configuration.subscriberBufferSize, 1)
        return state.withLock { state in
            let id = state.nextSubscriberID
            state.nextSubscriberID += 1
            let subscriber = EventSubscriber(consumer: consumer, capacity: capacity, filter: filter)
            if let since {
                let oldestRetained = state.history.first?.seq ?? state.nextSeq
                if since + 1 < oldestRetained { subscriber.markLost(oldestRetained - since - 1) }
                for entry in state.history where entry.seq > since { _ = subscriber.offer(entry.event) }
            }
            state.subscribers[id] = subscriber
            // Every consumer shows in the dropped counts from its first subscription, at zero until it drops.
            if state.droppedByConsumer[consumer] == nil { state.droppedByConsumer[consumer] = 0 }
            return EventSubscription(subscriber: subscriber) { [weak self] in self?.unsubscribe(id) }
        }
    }

    /// The sequence number of the newest event, 0 before the first.
    public var lastSeq: UInt64 { state.withLock { $0.nextSeq - 1 } }

    /// Events dropped so far because a subscriber fell behind, by consumer (every consumer that has
    /// subscribed, zero when it never fell behind).
    public func droppedEvents() -> [String: UInt64] { state.withLock { $0.droppedByConsumer } }

    /// Retained events with a sequence number above `seq`, oldest first.
    public func history(after seq: UInt64 = 0) -> [JobEvent] {
        state.withLock { state in state.history.filter { $0.seq > seq }.map(\.event) }
    }

    /// The number of live subscriptions.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    private func unsubscribe(_ id: UInt64) {
        let subscriber = state.withLock { $0.subscribers.removeValue(forKey: id) }
        subscriber?.finish()
    }
}
