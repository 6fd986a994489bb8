import FoundationEssentials
import Jobkit
import JobkitHealth
import Synchronization

extension HealthMonitor {
    /// Follows an event: successes pet their job's freshness watchdogs; a running task's progress and
    /// log lines pet its own, which it has from its start to its end.
    func observe(_ event: JobEvent) {
        guard let task = event.task else { return }
        let name = Self.taskWatchdogName(task)
        switch event.kind {
        case .started:
            let stuckAfter = watched.withLock { watched in
                event.job.flatMap { watched.stuckAfterByJob[$0] } ?? watched.stuckAfter
            }
            var labels: Labels = ["task": task.description, "severity": "warning"]
            labels[JobkitMetricsObserver.jobTypeLabel] = event.job
            taskWatchdogs.add(name, timeout: stuckAfter, labels: labels)
        case .progress, .log:
            taskWatchdogs.pet(name)
        default:
            guard event.kind.isTerminal else { return }
            taskWatchdogs.remove(name)
            if event.kind == .succeeded, let job = event.job {
                for watchdog in watched.withLock({ $0.freshness[job] ?? [] }) { watchdogs.pet(watchdog) }
            }
        }
    }

    /// After events were lost (the health subscription lagged): drops the watchdogs of tasks that are
    /// no longer running, so a missed finish cannot leave a task stuck forever.
    func reconcile(running: Set<TaskID>) {
        let names = Set(running.map(Self.taskWatchdogName))
        taskWatchdogs.removeAll { !names.contains($0.name) }
    }

    static func taskWatchdogName(_ task: TaskID) -> String { "task \(task)" }

    /// Sets up the config's freshness watchdogs. One that stays keeps its deadline; a new one counts
    /// from its job's last success in the queue, or from now if it never succeeded.
    func applyWatchdogs(_ config: MemorydConfig?) {
        let configured = config?.health.watchdogs ?? []
        let previous = watched.withLock { watched in
            defer {
                watched.freshness = Dictionary(grouping: configured, by: \.job).mapValues { $0.map(\.name) }
                watched.stuckAfter = config?.health.stuckAfter ?? Self.defaultStuckAfter
                watched.stuckAfterByJob = Dictionary(
                    (config?.jobs ?? []).compactMap { job in job.stuckAfter.map { (job.name, $0) } },
                    uniquingKeysWith: { first, _ in first })
            }
            return Set(watched.freshness.values.joined())
        }
        let names = Set(configured.map(\.name))
        watchdogs.removeAll { previous.contains($0.name) && !names.contains($0.name) }
        let now = clock.wallTime()
        for watchdog in configured {
            let labels: Labels = [JobkitMetricsObserver.jobTypeLabel: watchdog.job, "severity": "warning"]
            if previous.contains(watchdog.name) {
                watchdogs.update(watchdog.name, timeout: watchdog.maxAge, labels: labels)
            } else {
                let ago = lastSuccess(watchdog.job).map { max(0, now.timeIntervalSince($0)) } ?? 0
                watchdogs.add(watchdog.name, timeout: watchdog.maxAge, labels: labels, lastPetAgo: .seconds(ago))
            }
        }
    }
}
