import FoundationEssentials
import Jobkit
public import JobkitMetrics

/// Watchdogs and health checks as metrics, so Prometheus can alert on them too:
/// `jobkit_watchdog_last_pet_timestamp_seconds{watchdog}`, `jobkit_watchdog_timeout_seconds{watchdog}`,
/// `jobkit_health_check_status{check, status}` (1 for the latest status, 0 for the others) and
/// `jobkit_health_check_last_run_timestamp_seconds{check}`.
///
/// Give it only watchdog sets with a bounded set of names (loops, configured jobs); a set with one
/// watchdog per task would make one series per task.
public struct HealthMetricsCollector: MetricsCollector {
    private let watchdogs: [WatchdogSet]
    private let checks: HealthChecks?

    public init(watchdogs: [WatchdogSet], checks: HealthChecks?) {
        self.watchdogs = watchdogs
        self.checks = checks
    }

    public func collect() -> [FamilySnapshot] {
        let named = watchdogs.flatMap { set in set.all.map { (set, $0) } }.sorted { $0.1.name < $1.1.name }
        var families = [
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_watchdog_last_pet_timestamp_seconds",
                    help: "When each watchdog was last petted, in seconds since the Unix epoch.", kind: .gauge,
                    unit: "seconds", labelNames: ["watchdog"]),
                series: named.map { set, watchdog in
                    SeriesSnapshot(
                        labels: [("watchdog", watchdog.name)],
                        value: .gauge(set.lastPetTime(of: watchdog).timeIntervalSince1970))
                }),
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_watchdog_timeout_seconds",
                    help: "How long each watchdog may go unpetted before it is overdue.", kind: .gauge,
                    unit: "seconds", labelNames: ["watchdog"]),
                series: named.map { _, watchdog in
                    SeriesSnapshot(labels: [("watchdog", watchdog.name)], value: .gauge(watchdog.timeout.seconds))
                }),
        ]
        guard let checks else { return families }
        let reports = checks.reports.filter { $0.result != nil }
        families.append(
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_health_check_status",
                    help: "Latest status of each health check: 1 for the status it answered, 0 for the others.",
                    kind: .gauge, labelNames: ["check", "status"]),
                series: reports.flatMap { report in
                    HealthStatus.allCases.map { status in
                        SeriesSnapshot(
                            labels: [("check", report.name), ("status", status.rawValue)],
                            value: .gauge(report.result?.status == status ? 1 : 0))
                    }
                }))
        families.append(
            FamilySnapshot(
                descriptor: MetricDescriptor(
                    name: "jobkit_health_check_last_run_timestamp_seconds",
                    help: "When each health check last answered, in seconds since the Unix epoch.", kind: .gauge,
                    unit: "seconds", labelNames: ["check"]),
                series: reports.map { report in
                    SeriesSnapshot(
                        labels: [("check", report.name)], value: .gauge(report.checkedAt?.timeIntervalSince1970 ?? 0))
                }))
        return families
    }
}
