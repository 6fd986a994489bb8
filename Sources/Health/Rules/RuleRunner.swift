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
    /// Receives every change of an alert's state (for a notification hook that wants changes only).
    private let onTransition: @Sendable (AlertTransition) -> Void
    /// How often a firing alert is sent again (Prometheus' `--rules.alert.resend-delay`, 1 minute).
    public let resendDelayMilliseconds: Int64
    private let alertStates: GaugeFamily
    private let evaluations: CounterFamily
    private let failures: CounterFamily
    private let lastDuration: GaugeFamily
    private let storedSeries: GaugeFamily
    private let storedSamples: GaugeFamily
    private let shownStates = Mutex<Set<[String]>>([])

    public static let defaultResendDelayMilliseconds: Int64 = 60_000
    /// Default time between evaluations of ``AlertSource``s (1 s): how soon a missed deadline is an alert.
    public static let defaultSourceInterval: Duration = .seconds(1)
    /// The `group` of alerts from ``AlertSource``s, in events and Alertmanager's view.
    public static let sourceGroup = "memoryd"

    public init(
        engine: RuleEngine, registry: MetricsRegistry, events: EventStream, clock: JobClock,
        resendDelayMilliseconds: Int64 = defaultResendDelayMilliseconds,
        notify: @escaping @Sendable ([Alert]) -> Void = { _ in },
        onTransition: @escaping @Sendable (AlertTransition) -> Void = { _ in }
    ) throws {
        self.engine = engine
        self.registry = registry
        self.events = events
        self.clock = clock
        self.resendDelayMilliseconds = resendDelayMilliseconds
        self.notify = notify
        self.onTransition = onTransition
        alertStates = try registry.gauge(
            "jobkit_alerts", help: "Alerts of memoryd's own rules, by name and state (pending, firing).",
            labelNames: ["alertname", "alertstate"])
        evaluations = try registry.counter(
            "jobkit_rule_group_evaluations_total", help: "Evaluations of each rule group.", labelNames: ["rule_group"])
        failures = try registry.counter(
            "jobkit_rule_evaluation_failures_total", help: "Rules whose expression could not be evaluated.",
            labelNames: ["rule_group"])
        lastDuration = try registry.gauge(
            "jobkit_rule_group_last_duration_seconds", help: "How long the last evaluation of each rule group took.",
            labelNames: ["rule_group"])
        storedSeries = try registry.gauge(
            "jobkit_rule_store_series", help: "Series the rule engine keeps samples of (those its rules can read).",
            labelNames: [])
        storedSamples = try registry.gauge(
            "jobkit_rule_store_samples", help: "Samples the rule engine keeps, over all its series.", labelNames: [])
    }

    /// Evaluates every group on its interval, and each of `sources` every `sourceInterval`, until the
    /// calling task is cancelled. `round` is called after each evaluation of the sources (to pet a
    /// watchdog of the loop, say).
    public func run(
        sources: [any AlertSource] = [], sourceInterval: Duration = defaultSourceInterval,
        round: @escaping @Sendable () -> Void = {}
    ) async {
        await withTaskGroup(of: Void.self) { tasks in
            if !sources.isEmpty {
                tasks.addTask { [self] in
                    while !Task.isCancelled {
                        let time = Self.milliseconds(clock.wallTime())
                        for source in sources { evaluate(source, at: time) }
                        round()
                        guard (try? await clock.sleep(for: sourceInterval)) != nil else { return }
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
        let started = ContinuousClock.now
        let evaluation = engine.evaluate(group: index, at: time, families: registry.collect())
        let took = ContinuousClock.now - started
        try? lastDuration.labels(group.name).set(took.seconds)
        let size = engine.store.size
        try? storedSeries.labels().set(Double(size.series))
        try? storedSamples.labels().set(Double(size.samples))
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

    /// One evaluation of `source`'s rule over the samples it gives now, with its effects.
    public func evaluate(_ source: any AlertSource, at time: Int64) {
        let evaluation = engine.evaluate(source, group: Self.sourceGroup, at: time)
        for transition in evaluation.transitions { publish(transition) }
        updateStateMetrics()
        let due = engine.alertsToSend(
            native: source.alertRule.name, at: time, resendDelayMilliseconds: resendDelayMilliseconds)
        if !due.isEmpty { notify(due) }
    }

    private func publish(_ transition: AlertTransition) {
        onTransition(transition)
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
