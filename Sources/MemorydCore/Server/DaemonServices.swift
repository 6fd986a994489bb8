import Jobkit
import JobkitDaemon
import ServiceLifecycle
import Synchronization

/// A loop of the daemon that runs until the group shuts down: housekeeping, triggers, reload on SIGHUP,
/// the systemd watchdog. A graceful shutdown cancels it.
struct LoopService: Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async -> Void

    init(_ name: String, _ body: @escaping @Sendable () async -> Void) {
        self.description = name
        self.body = body
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}

/// Hands a subscription's events to a writer until the group shuts down; then ends the subscription,
/// and returns once the writer has drained what it had buffered.
struct SubscriptionService: Service, CustomStringConvertible {
    let description: String
    let subscription: EventSubscription
    let executor: (any TaskExecutor)?
    let drain: @Sendable (EventSubscription) async -> Void

    func run() async throws {
        let subscription = subscription
        let drain = drain
        await withGracefulShutdownHandler {
            await withTaskExecutorPreference(executor) { await drain(subscription) }
        } onGracefulShutdown: {
            subscription.cancel()
        }
    }
}

/// The scheduler: runs until the group shuts down, which suspends it (no new attempts; running ones get
/// ``DaemonSettings/shutdownGrace`` to finish, then are interrupted); returns once no attempt runs.
struct SchedulerService: Service, CustomStringConvertible {
    let scheduler: Scheduler
    /// Starts the shutdown and returns its grace timer.
    let beginShutdown: @Sendable () -> Task<Void, Never>
    var description: String { "scheduler" }

    func run() async throws {
        let grace = Mutex<Task<Void, Never>?>(nil)
        let beginShutdown = beginShutdown
        try await withGracefulShutdownHandler {
            try await scheduler.run()
        } onGracefulShutdown: {
            let timer = beginShutdown()
            grace.withLock { $0 = timer }
        }
        grace.withLock { $0 }?.cancel()
    }
}

/// Something that only needs stopping when the group shuts down: the HTTP listeners, the health monitor
/// (rule runner, notifier, checks).
struct StopService: Service, CustomStringConvertible {
    let description: String
    let stop: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        stop()
    }
}

/// Waits for SIGTERM or SIGINT; returning makes the group shut down gracefully.
struct SignalService: Service, CustomStringConvertible {
    let signals: SignalWatcher
    var description: String { "signals" }

    func run() async throws {
        _ = await cancelWhenGracefulShutdown { await signals.next() }
    }
}
