import FoundationEssentials
import Jobkit
import JobkitDaemon
import JobkitHealth
import JobkitMetrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's health: alert rules of the current config evaluated on their interval, watchdogs (the
/// daemon's own loops, each running task, each configured job's freshness) and the jobs' health checks,
/// all raising alerts on the event stream and, when configured, to Alertmanager and the notify command.
/// A reload starts over with the new rules and checks; watchdogs keep their deadlines.
final class HealthMonitor: Sendable {
    private struct Running {
        var runner: RuleRunner
        var task: Task<Void, Never>
    }

    let registry: MetricsRegistry
    let events: EventStream
    let clock: JobClock
    /// The daemon's TCP listen address (`host:port`, the port as bound), once it listens: the default
    /// `instance`, and where alerts link back to (its `/v1/alerts`).
    private let listenAddress = Mutex<String?>(nil)
    private let running = Mutex<Running?>(nil)
    /// The daemon's loops (``livenessWatchdogs``) and each configured job's freshness: `WatchdogExpired`.
    let watchdogs: WatchdogSet
    /// One per running task, petted by its progress and log lines: `TaskStuck`.
    let taskWatchdogs: WatchdogSet
    /// Each job's `health_check` (and any check an embedder registers): `HealthCheckFailed`.
    let checks: HealthChecks
    /// What the config says about watchdogs, kept for following events.
    let watched = Mutex(Watched())
    /// Names of the checks that came from the config (replaced on reload; others are an embedder's).
    private let configuredChecks = Mutex<Set<String>>([])
    /// When a job last succeeded, from the persistent queue: freshness survives restarts.
    let lastSuccess: @Sendable (String) -> Date?

    struct Watched {
        /// Freshness watchdog names by the job whose successes pet them.
        var freshness: [String: [String]] = [:]
        var stuckAfter: Duration = HealthMonitor.defaultStuckAfter
        var stuckAfterByJob: [String: Duration] = [:]
    }

    /// Petted by the daemon's housekeeping loop each time the scheduler accepts its task.
    static let schedulerWatchdog = MemorydConfig.Health.schedulerWatchdog
    /// Petted by the loop that evaluates watchdogs and health checks.
    static let evaluationWatchdog = MemorydConfig.Health.evaluationWatchdog
    /// The watchdogs of the daemon's own loops: `/healthz` fails and systemd's watchdog is not petted
    /// while one is overdue. The config reserves their names.
    static let livenessWatchdogs = MemorydConfig.Health.daemonWatchdogs
    /// How long a running task may go without progress or a log line before it counts as stuck (15 m).
    static let defaultStuckAfter: Duration = .seconds(15 * 60)
    /// Prometheus' default `evaluation_interval`, used when the config sets none.
    static let defaultEvaluationInterval: Duration = .seconds(60)
    /// Default longest run of `notify_command` (30 s).
    static let defaultNotifyTimeout: Duration = .seconds(30)
    /// The `job` label rules see on every series unless `[health] job` says otherwise: what a
    /// Prometheus scrape config for memoryd would name its job.
    static let defaultJob = "memoryd"
    /// The `instance` label when the daemon has no TCP listener and `[health] instance` is not set.
    static let defaultInstance = "localhost"
    /// An Alertmanager or the notify command could not be reached or failed.
    static let notificationFailedKind = EventKind("alert_notification_failed")

    /// - Parameters:
    ///   - loopTimeout: how long one of the daemon's loops may go unpetted before it counts as stuck.
    ///   - lastSuccess: when a job last succeeded, before this start.
    init(
        registry: MetricsRegistry, events: EventStream, clock: JobClock,
        loopTimeout: Duration, lastSuccess: @escaping @Sendable (String) -> Date? = { _ in nil }
    ) throws {
        self.registry = registry
        self.events = events
        self.clock = clock
        self.lastSuccess = lastSuccess
        watchdogs = try WatchdogSet(clock: clock)
        taskWatchdogs = try WatchdogSet(
            clock: clock, alertName: "TaskStuck",
            summary: "task {{ $labels.task }} ({{ $labels.job_type }}) has reported nothing for {{ $value | humanizeDuration }} longer than its stuck_after")
        checks = try HealthChecks(clock: clock)
        for name in Self.livenessWatchdogs {
            watchdogs.add(name, timeout: loopTimeout, labels: ["severity": "critical"])
        }
        registry.register(collector: HealthMetricsCollector(watchdogs: [watchdogs], checks: checks))
    }

    /// Records where the daemon listens (`HTTPServer.addresses`): its TCP address, if any, becomes the
    /// default `instance` and the alerts' link back. Called before the first ``apply(_:)``.
    func listening(on addresses: [String]) {
        let tcp = addresses.first { !$0.hasPrefix("/") }.map(Self.reachableAddress)
        listenAddress.withLock { $0 = tcp }
    }

    /// Room for a host name: Linux's HOST_NAME_MAX (64) and its terminator, with margin.
    private static let hostNameCapacity = 256

    /// `address`, with a wildcard host (`0.0.0.0`, `[::]`) replaced by this machine's name: what a
    /// Prometheus target for it would be called.
    static func reachableAddress(_ address: String) -> String {
        for wildcard in ["0.0.0.0:", "[::]:"] where address.hasPrefix(wildcard) {
            var name = [CChar](repeating: 0, count: Self.hostNameCapacity)
            guard gethostname(&name, name.count - 1) == 0 else { return address }
            let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return host.isEmpty ? address : host + ":" + address.dropFirst(wildcard.count)
        }
        return address
    }

    /// Evaluates the rules (as read with `config`) and checks of `config` from now on, instead of those
    /// before.
    ///
    /// - Throws: ``DaemonError`` for an unusable Alertmanager URL. The rules before keep running then.
    func apply(_ config: MemorydConfig?) throws {
        let groups = config?.ruleGroups ?? []
        let listenAddress = listenAddress.withLock { $0 }
        let generatorURL = listenAddress.map { "http://\($0)/v1/alerts" } ?? ""
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
        let hook = config?.health.notifyCommand.map { command in
            AlertHook(
                command: command, timeout: config?.health.notifyTimeout ?? Self.defaultNotifyTimeout,
                generatorURL: generatorURL
            ) { [events] message in
                events.publish(JobEvent(kind: Self.notificationFailedKind, level: .error, message: message))
            }
        }
        let health = config?.health ?? MemorydConfig.Health()
        let targetLabels: Labels = [
            "job": health.job ?? Self.defaultJob, "instance": health.instance ?? listenAddress ?? Self.defaultInstance,
        ]
        let external = health.externalLabels
        let engine = RuleEngine(
            groups: groups, defaultIntervalMilliseconds: interval.milliseconds, targetLabels: targetLabels,
            externalLabels: external, externalURL: health.externalURL ?? listenAddress.map { "http://\($0)" } ?? "")
        let runner = try RuleRunner(
            engine: engine, registry: registry, events: events, clock: clock,
            notify: { alerts in notifier?.send(alerts.map { $0.adding(externalLabels: external) }) },
            onTransition: { change in
                var sent = change
                sent.alert = change.alert.adding(externalLabels: external)
                hook?.send(sent)
            })
        applyWatchdogs(config)
        applyChecks(config)
        let sources: [any AlertSource] = [watchdogs, taskWatchdogs, checks]
        let task = Task { [watchdogs, checks] in
            await withDiscardingTaskGroup { group in
                group.addTask { await checks.run() }
                group.addTask {
                    await runner.run(sources: sources) { watchdogs.pet(Self.evaluationWatchdog) }
                }
            }
            hook?.finish()
            // Replaced or stopped: its thread ends once what is queued is sent.
            notifier?.finish()
        }
        let previous = running.withLock { current -> Running? in
            defer { current = Running(runner: runner, task: task) }
            return current
        }
        previous?.task.cancel()
    }

    /// Stops evaluating.
    func stop() { running.withLock { $0 }?.task.cancel() }

    /// Pending and firing alerts.
    var alerts: [Alert] { running.withLock { $0 }?.runner.engine.activeAlerts ?? [] }

    /// The labels every registry series has in the rules' eyes (`job`, `instance`).
    var targetLabels: Labels { running.withLock { $0 }?.runner.engine.store.targetLabels ?? [:] }

    /// The rule groups being evaluated.
    var ruleGroups: [RuleGroup] { running.withLock { $0 }?.runner.engine.groups ?? [] }

    /// Replaces the checks of the previous config with each job's `health_check`.
    private func applyChecks(_ config: MemorydConfig?) {
        let interval = config?.health.checkInterval ?? HealthCheck.defaultInterval
        let timeout = config?.health.checkTimeout ?? HealthCheck.defaultTimeout
        let configured = (config?.jobs ?? []).compactMap { job in
            job.healthCheck.map { CommandHealthCheck(job: job, command: $0, timeout: timeout).check(interval: interval) }
        }
        let previous = configuredChecks.withLock { names in
            defer { names = Set(configured.map(\.name)) }
            return names
        }
        checks.removeAll { previous.contains($0.name) }
        for check in configured { checks.register(check) }
    }
}
