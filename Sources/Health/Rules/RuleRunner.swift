import FoundationEssentials
public import Jobkit
public import JobkitMetrics
import Synchronization

/// Runs a ``RuleEngine``'s groups on their intervals over a registry: publishes alert events, keeps the
/// alert metrics, and hands alerts due for notification to ``notify``.
public final class RuleRunner: Sendable {
    public static let pendingKind = EventKind("alert_pending")
    public static let firingKind = EventKind("alert_firing")
    public static let resolvedKind = EventKind("alert_resolved")
    /// A rule whose expression could not be evaluated (its alerts keep their state).
    public static let ruleFailedKind = EventKind("rule_failed")

    public let engine: RuleEngine
    private let registry: MetricsRegistry
    private let events: EventStream
    private let clock: JobClock
    /// Receives the alerts due to be (re)sent after each evaluation of a group.
    private let notify: @Sendable ([Alert]) -> Void
    /// How often a firing alert is sent again (Prometheus' `--rules.alert.resend-delay`, 1 minute).
    public let resendDelayMilliseconds: Int64
    private let alertStates: GaugeFamily
    private let evaluations: CounterFamily
    private let failures: CounterFamily
    private let shownStates = Mutex<Set<[String]>>([])

    public static let defaultResendDelayMilliseconds: Int64 = 60_000

    public init(
        engine: RuleEngine, registry: MetricsRegistry, events: EventStream, clock: JobClock,
        resendDelayMilliseconds: Int64 = defaultResendDelayMilliseconds,
        notify: @escaping @Sendable ([Alert]) -> Void = { _ in }
    ) throws {
        self.engine = engine
        self.registry = registry
        self.events = events
        self.clock = clock
        self.resendDelayMilliseconds = resendDelayMilliseconds
        self.notify = notify
        alertStates = try registry.gauge(
            "jobkit_alerts", help: "Alerts of memoryd's own rules, by name and state (pending, firing).",
            labelNames: ["alertname", "alertstate"])
        evaluations = try registry.counter(
            "jobkit_rule_group_evaluations_total", help: "Evaluations of each rule group.", labelNames: ["rule_group"])
        failures = try registry.counter(
            "jobkit_rule_evaluation_failures_total", help: "Rules whose expression could not be evaluated.",
            labelNames: ["rule_group"])
    }

    /// Evaluates every group on its interval, and `watchdogs` every `watchdogInterval`, until the calling
    /// task is cancelled.
    public func run(watchdogs: WatchdogSet? = nil, watchdogInterval: Duration = .seconds(1)) async {
        await withTaskGroup(of: Void.self) { tasks in
            if let watchdogs {
                tasks.addTask { [self] in
                    while !Task.isCancelled {
                        evaluate(watchdogs, at: Self.milliseconds(clock.wallTime()))
                        guard (try? await clock.sleep(for: watchdogInterval)) != nil else { return }
                    }
                }
            }
            for index in engine.groups.indices {
                tasks.addTask { [self] in
                    let interval = Duration.milliseconds(engine.interval(of: engine.groups[index]))
                    while !Task.isCancelled {
                        evaluate(group: index, at: Self.milliseconds(clock.wallTime()))
                        guard (try? await clock.sleep(for: interval)) != nil else { return }
                    }
                }
            }
        }
    }

    /// One evaluation of group `index` at `time` (milliseconds since the epoch), with its effects.
    public func evaluate(group index: Int, at time: Int64) {
        let group = engine.groups[index]
        let evaluation = engine.evaluate(group: index, at: time, families: registry.collect())
        try? evaluations.labels(group.name).increment()
        for failure in evaluation.failures {
            try? failures.labels(group.name).increment()
            events.publish(
                JobEvent(
                    kind: Self.ruleFailedKind, error: failure.reason, level: .error,
                    message: "\(group.file): group \"\(group.name)\", rule \"\(failure.rule)\" failed",
                    metadata: ["group": .string(group.name), "rule": .string(failure.rule)]))
        }
        for transition in evaluation.transitions { publish(transition) }
        updateStateMetrics()
        let due = engine.alertsToSend(group: index, at: time, resendDelayMilliseconds: resendDelayMilliseconds)
        if !due.isEmpty { notify(due) }
    }

    /// One evaluation of the watchdogs: each overdue one is a `WatchdogExpired` alert.
    public func evaluate(_ watchdogs: WatchdogSet, at time: Int64) {
        let rule = WatchdogSet.alertRule
        let evaluation = engine.evaluate(
            native: rule, samples: watchdogs.overdueSamples(), group: "watchdogs", at: time)
        for transition in evaluation.transitions { publish(transition) }
        updateStateMetrics()
        let due = engine.alertsToSend(native: rule.name, at: time, resendDelayMilliseconds: resendDelayMilliseconds)
        if !due.isEmpty { notify(due) }
    }

    private func publish(_ transition: AlertTransition) {
        let alert = transition.alert
        let (kind, level, verb): (EventKind, LogLevel, String) =
            switch transition.to {
            case .pending: (Self.pendingKind, .info, "pending")
            case .firing: (Self.firingKind, alert.labels["severity"] == "critical" ? .critical : .warning, "firing")
            case .inactive: (Self.resolvedKind, .info, transition.from == .pending ? "no longer pending" : "resolved")
            }
        let summary = alert.annotations["summary"].map { ": " + $0 } ?? ""
        events.publish(
            JobEvent(
                kind: kind, level: level, message: "\(alert.name) \(verb)\(summary)",
                metadata: [
                    "alertname": .string(alert.name), "labels": .object(alert.labels.mapValues(JSONValue.string)),
                    "annotations": .object(alert.annotations.mapValues(JSONValue.string)),
                    "value": .number(alert.value.isFinite ? alert.value : 0), "group": .string(alert.group),
                ]))
    }

    /// `jobkit_alerts{alertname, alertstate}`: how many alerts of each rule are pending and firing.
    private func updateStateMetrics() {
        var counts: [[String]: Double] = [:]
        for alert in engine.activeAlerts { counts[[alert.name, alert.state.rawValue], default: 0] += 1 }
        let previous = shownStates.withLock { shown in
            defer { shown = Set(counts.keys) }
            return shown
        }
        for key in previous.subtracting(counts.keys) { alertStates.remove(key) }
        for (key, count) in counts { try? alertStates.labels(key).set(count) }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
