import Jobkit
import JobkitDaemon
import JobkitSupport
import Logging
import ServiceLifecycle

extension MemorydDaemon {
    /// The subscriptions of the daemon's event writers, taken before anything runs.
    struct WriterSubscriptions {
        let eventLog: EventSubscription
        let queue: EventSubscription
        let health: EventSubscription
    }

    /// Subscribes the event log, the queue recorder (transitions and output lines) and the health monitor
    /// to every event from now on.
    func subscribeWriters() -> WriterSubscriptions {
        let buffer = settings.eventLogBuffer
        return WriterSubscriptions(
            eventLog: scheduler.events.subscribe(consumer: "event-log", bufferSize: buffer),
            queue: scheduler.events.subscribe(
                consumer: "queue", bufferSize: buffer,
                filter: { [.started, .retrying, .interrupted, .log].contains($0.kind) || $0.kind.isTerminal }),
            health: scheduler.events.subscribe(
                consumer: "health", bufferSize: buffer,
                filter: { $0.kind == .started || $0.kind == .progress || $0.kind == .log || $0.kind.isTerminal }))
    }

    /// Every long-running part of the daemon, in the order it starts. A graceful shutdown (SIGTERM or
    /// SIGINT) stops them in the reverse order, each once the one after it has returned:
    /// the loops (systemd watchdog, reload on SIGHUP, triggers, housekeeping) are cancelled; the health
    /// monitor stops (rules, notifier, checks), so the shutdown raises no alert; the scheduler drains
    /// (running tasks get `shutdown_grace`, then are interrupted and stay queued); the event writers
    /// write what they buffered; the listeners close last, so the API answers until then.
    func services(
        subscriptions: WriterSubscriptions, diskIO: ThreadTaskExecutor, signals: SignalWatcher,
        hangups: SignalWatcher
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let onError: @Sendable (String) -> Void = { message in StandardStreams.error("memoryd: \(message)\n") }
        let parts: [any Service] = [
            StopService(description: "listeners") { self.server.stop() },
            SubscriptionService(
                description: "event-log writer", subscription: subscriptions.eventLog, executor: diskIO,
                drain: { await self.writeEventLog($0) }),
            SubscriptionService(
                description: "queue recorder", subscription: subscriptions.queue, executor: diskIO,
                drain: { await self.recordInQueue($0) }),
            SubscriptionService(
                description: "health events", subscription: subscriptions.health, executor: nil,
                drain: { await self.followForHealth($0) }),
            SchedulerService(scheduler: scheduler) { self.beginShutdown() },
            StopService(description: "health monitor") { self.health.stop() },
            LoopService("housekeeping") { await self.housekeeping() },
            LoopService("triggers") { await self.configState.runTriggers(on: diskIO, onError: onError) },
            LoopService("reload on SIGHUP") {
                while await hangups.next() != nil {
                    if case .rejected(let reason) = self.reload() {
                        onError("reload refused, still running the old config:\n\(reason)")
                    }
                }
            },
        ]
        return parts.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [
            // Without a systemd watchdog it has nothing to do and returns at once.
            .init(
                service: LoopService("systemd watchdog") { await self.petSystemdWatchdog() },
                successTerminationBehavior: .ignore),
            // Returns on SIGTERM or SIGINT, which shuts the group down gracefully.
            .init(service: SignalService(signals: signals), successTerminationBehavior: .gracefullyShutdownGroup),
        ]
    }

    /// The service group's logger: memoryd reports on standard error itself, so the group says nothing.
    static let serviceLogger = Logger(label: "memoryd.services", factory: { _ in SwiftLogNoOpLogHandler() })
}
