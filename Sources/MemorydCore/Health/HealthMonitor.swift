import FoundationEssentials
import Jobkit
import JobkitDaemon
import JobkitHealth
import JobkitMetrics
import Synchronization

/// The daemon's alerting: the rules of the current config evaluated on their interval, their alerts on
/// the event stream and, when configured, sent to Alertmanager. A reload starts over with the new rules.
final class HealthMonitor: Sendable {
    private struct Running {
        var runner: RuleRunner
        var task: Task<Void, Never>
    }

    private let registry: MetricsRegistry
    private let events: EventStream
    private let clock: JobClock
    /// Where alerts link back to: the daemon's `/v1/alerts` over TCP, when it listens on TCP.
    private let generatorURL: String
    private let running = Mutex<Running?>(nil)
    /// The scheduler's, each configured job's freshness, and each running task's.
    let watchdogs: WatchdogSet
    /// Freshness watchdog names by the job whose successes pet them, and how long a task may stay silent.
    private let watched = Mutex<(freshness: [String: [String]], stuckAfter: Duration)>(([:], defaultStuckAfter))

    /// The watchdog the daemon's housekeeping loop pets; overdue means the scheduler stopped answering.
    static let schedulerWatchdog = "scheduler"
    /// How long a running task may go without progress or a log line before it counts as stuck.
    static let defaultStuckAfter: Duration = .seconds(15 * 60)

    /// Prometheus' default `evaluation_interval`, used when the config sets none.
    static let defaultEvaluationInterval: Duration = .seconds(60)

    /// - Parameter schedulerTimeout: how long the scheduler may go unpetted before it counts as stuck.
    init(
        registry: MetricsRegistry, events: EventStream, clock: JobClock, generatorURL: String,
        schedulerTimeout: Duration
    ) {
        self.registry = registry
        self.events = events
        self.clock = clock
        self.generatorURL = generatorURL
        watchdogs = WatchdogSet(clock: clock)
        watchdogs.add(Self.schedulerWatchdog, timeout: schedulerTimeout, labels: ["severity": "critical"])
    }

    /// Follows an event: successes pet their job's freshness watchdogs; a running task's progress and
    /// log lines pet its own, which it has from its start to its end.
    func observe(_ event: JobEvent) {
        guard let task = event.task else { return }
        let name = "task \(task)"
        switch event.kind {
        case .started:
            let stuckAfter = watched.withLock { $0.stuckAfter }
            var labels: Labels = ["task": task.description, "severity": "warning"]
            labels["job"] = event.job
            watchdogs.add(name, timeout: stuckAfter, labels: labels)
        case .progress, .log:
            watchdogs.pet(name)
        default:
            guard event.kind.isTerminal else { return }
            watchdogs.remove(name)
            if event.kind == .succeeded, let job = event.job {
                for watchdog in watched.withLock({ $0.freshness[job] ?? [] }) { watchdogs.pet(watchdog) }
            }
        }
    }

    /// Sets up the config's freshness watchdogs, keeping the deadlines of those that stay the same.
    private func applyWatchdogs(_ config: MemorydConfig?) {
        let configured = config?.health.watchdogs ?? []
        let stuckAfter = config?.health.stuckAfter ?? Self.defaultStuckAfter
        let previous = watched.withLock { state in
            defer {
                state.freshness = Dictionary(grouping: configured, by: \.job).mapValues { $0.map(\.name) }
                state.stuckAfter = stuckAfter
            }
            return Set(state.freshness.values.joined())
        }
        for name in previous where !configured.contains(where: { $0.name == name }) { watchdogs.remove(name) }
        let existing = Set(watchdogs.names)
        for watchdog in configured where !existing.contains(watchdog.name) {
            watchdogs.add(watchdog.name, timeout: watchdog.maxAge, labels: ["job": watchdog.job, "severity": "warning"])
        }
    }

    /// `/healthz`: 200 while the scheduler answers, 503 once its watchdog is overdue.
    func liveness() -> HTTPResponse {
        let stuck = watchdogs.overdue().first { $0.watchdog.name == Self.schedulerWatchdog }
        let check: JSONValue = .object([
            "name": .string(Self.schedulerWatchdog), "status": .string(stuck == nil ? "ok" : "critical"),
            "message": .string(stuck == nil ? "answering" : "not answering for \(stuck!.late) past its deadline"),
        ])
        var body: [UInt8] = []
        JSONValue.object(["status": .string(stuck == nil ? "ok" : "critical"), "checks": .array([check])])
            .append(to: &body)
        return HTTPResponse(status: stuck == nil ? 200 : 503, contentType: "application/json", body: body + [10])
    }

    /// Evaluates the rules of `config` from now on, instead of those before.
    ///
    /// - Throws: ``ConfigErrors`` if a rule file no longer loads; ``DaemonError`` for an unusable
    ///   Alertmanager URL. The rules before keep running then.
    func apply(_ config: MemorydConfig?) throws {
        let groups = try config?.ruleGroups() ?? []
        let interval = config?.health.evaluationInterval ?? Self.defaultEvaluationInterval
        let notifier = try config?.health.alertmanager.map { url in
            do {
                return try AlertmanagerNotifier(url: url, generatorURL: generatorURL) { [events] message in
                    events.publish(JobEvent(kind: Self.notificationFailedKind, level: .error, message: message))
                }
            } catch {
                throw DaemonError(.invalidConfiguration, "\(error)")
            }
        }
        let engine = RuleEngine(
            groups: groups,
            defaultIntervalMilliseconds: interval.components.seconds * 1000 + interval.components.attoseconds
                / 1_000_000_000_000_000)
        let runner = try RuleRunner(engine: engine, registry: registry, events: events, clock: clock) { alerts in
            notifier?.send(alerts)
        }
        applyWatchdogs(config)
        let previous = running.withLock { [watchdogs] current -> Running? in
            defer { current = Running(runner: runner, task: Task { await runner.run(watchdogs: watchdogs) }) }
            return current
        }
        previous?.task.cancel()
    }

    /// Stops evaluating.
    func stop() { running.withLock { $0 }?.task.cancel() }

    /// Pending and firing alerts.
    var alerts: [Alert] { running.withLock { $0 }?.runner.engine.activeAlerts ?? [] }

    /// An Alertmanager could not be reached or refused alerts.
    static let notificationFailedKind = EventKind("alert_notification_failed")

    /// `GET /v1/alerts`, shaped like Prometheus' `/api/v1/alerts` data.
    func alertsResponse() -> HTTPResponse {
        let items: [JSONValue] = alerts.map { alert in
            .object([
                "labels": .object(alert.labels.mapValues(JSONValue.string)),
                "annotations": .object(alert.annotations.mapValues(JSONValue.string)),
                "state": .string(alert.state.rawValue),
                "activeAt": .string(AlertmanagerNotifier.timestamp(alert.activeAt)),
                "value": .string(GoFormat.exponent(alert.value)),
            ])
        }
        var body: [UInt8] = []
        JSONValue.object(["alerts": .array(items)]).append(to: &body)
        return .json(body + [UInt8(ascii: "\n")])
    }

    /// How healthy the daemon is for `/readyz` and `memoryd health`: each check, and the worst of them.
    func readiness(storeOpen: Bool, configLoaded: Bool) -> HTTPResponse {
        var checks: [(name: String, status: String, message: String)] = [
            ("config", configLoaded ? "ok" : "critical", configLoaded ? "loaded" : "not loaded"),
            ("store", storeOpen ? "ok" : "critical", storeOpen ? "open" : "not open"),
        ]
        let firing = alerts.filter { $0.state == .firing }
        let critical = firing.filter { $0.labels["severity"] == "critical" }
        let alertStatus = critical.isEmpty ? (firing.isEmpty ? "ok" : "warning") : "critical"
        let names = Set(firing.map(\.name)).sorted().joined(separator: ", ")
        checks.append(("alerts", alertStatus, firing.isEmpty ? "none firing" : "firing: \(names)"))
        let order = ["ok", "warning", "critical"]
        let worst = checks.map(\.status).max { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! } ?? "ok"
        var body: [UInt8] = []
        JSONValue.object([
            "status": .string(worst),
            "checks": .array(
                checks.map {
                    .object(["name": .string($0.name), "status": .string($0.status), "message": .string($0.message)])
                }),
        ]).append(to: &body)
        return HTTPResponse(status: worst == "critical" ? 503 : 200, contentType: "application/json", body: body + [10])
    }
}
