/// How healthy something is, from best to worst.
public enum HealthStatus: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case ok, warning, critical

    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What one run of a health check found.
public struct HealthCheckResult: Sendable, Hashable {
    public var status: HealthStatus
    public var message: String

    public init(_ status: HealthStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func ok(_ message: String = "ok") -> HealthCheckResult { .init(.ok, message) }
    public static func warning(_ message: String) -> HealthCheckResult { .init(.warning, message) }
    public static func critical(_ message: String) -> HealthCheckResult { .init(.critical, message) }
}

/// A named check, run every `interval`, whose answer counts as critical when it takes longer than `timeout`.
public struct HealthCheck: Sendable {
    public var name: String
    /// Labels its alert carries besides `check` and `severity` (such as `job`).
    public var labels: Labels
    public var interval: Duration
    public var timeout: Duration
    /// Runs the check. It should end soon after its task is cancelled (at the timeout).
    public var run: @Sendable () async -> HealthCheckResult

    /// Default time between runs of a check (1 minute).
    public static let defaultInterval: Duration = .seconds(60)
    /// Default longest run of a check before it counts as critical (10 s).
    public static let defaultTimeout: Duration = .seconds(10)

    public init(
        _ name: String, labels: Labels = [:], interval: Duration = defaultInterval,
        timeout: Duration = defaultTimeout, run: @escaping @Sendable () async -> HealthCheckResult
    ) {
        self.name = name
        self.labels = labels
        self.interval = interval
        self.timeout = timeout
        self.run = run
    }
}
