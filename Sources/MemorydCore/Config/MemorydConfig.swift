import Jobkit
public import JobkitHealth
import JobkitSupport

/// A validated config file (SPEC §8): daemon settings, pools, jobs, sources and health.
public struct MemorydConfig: Sendable {
    /// `[daemon] tcp_reads`: what TCP clients may read without the token.
    public enum TCPReads: String, Sendable, Hashable, CaseIterable {
        /// Reads that reveal parameters or output need the bearer token (the default).
        case token
        /// Anyone who reaches the TCP listener may read them (the socket's users are checked as always).
        case open
    }

    /// When a job starts by itself.
    public enum Schedule: Sendable, Hashable, CustomStringConvertible {
        /// `every 60s`
        case every(Duration)
        /// `daily 03:00`, in the job's time zone.
        case daily(hour: Int, minute: Int)
        /// `*/15 9-17 * * MON-FRI` or `@hourly`, in the job's time zone.
        case cron(CronExpression)

        public var description: String {
            switch self {
            case .every(let interval): "every " + MemorydConfig.compact(interval)
            case .daily(let hour, let minute):
                "daily " + (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
            case .cron(let expression): expression.text
            }
        }

        /// The cron expression a time-of-day schedule amounts to; `nil` for `every`.
        var cronExpression: CronExpression? {
            switch self {
            case .every: nil
            case .daily(let hour, let minute): try? CronExpression("\(minute) \(hour) * * *")
            case .cron(let expression): expression
            }
        }
    }

    /// What triggers of a paused job do.
    public enum PausedTriggers: String, Sendable, Hashable, CaseIterable {
        /// Start the run; its tasks wait until the job is resumed.
        case hold
        /// Start nothing.
        case drop
    }

    /// Which runs of a job are the same work: those with equal values of all or of some parameters.
    public enum Uniqueness: Sendable, Hashable {
        /// `unique = "params"`
        case allParameters
        /// `unique = ["file"]`
        case parameters([String])
    }

    /// The prefix of the pool that holds a job's `max_concurrent` (`job:extract`).
    public static let jobPoolPrefix = "job:"

    /// Retry backoff of a job: exponential from `initial`, capped at `max`.
    public struct Backoff: Sendable, Hashable {
        public var initial: Duration
        public var max: Duration
        public var factor: Double
        public var jitter: Double
    }

    /// `[jobs.NAME]`.
    public struct Job: Sendable, Hashable {
        public var name: String
        public var command: [String]
        public var environment: [String: String]
        public var workingDirectory: String?
        public var timeout: Duration?
        public var retries: Int
        public var backoff: Backoff?
        /// Slots needed from each pool.
        public var pools: [String: Int]
        public var schedule: Schedule?
        /// `timezone = "Europe/Berlin"`: the zone of a `daily` or cron schedule; `nil` for the local one.
        public var timeZone: String?
        /// `catch_up`: whether a run the schedule missed while the daemon was down is made up at start.
        public var catchUp: Bool = true
        /// `paused_triggers`: what a schedule or source does for the job while it is paused.
        public var pausedTriggers: PausedTriggers = .hold
        /// `max_concurrent`: at most this many of the job's tasks run at once, whatever the pools allow.
        public var maxConcurrent: Int?
        /// `unique`: which runs count as equal, so that a second one is refused while the first is pending
        /// or running.
        public var unique: Uniqueness?
        /// `jitter`: each scheduled run starts up to this much later than its time, at random (like
        /// systemd's `RandomizedDelaySec=`), so many hosts with one schedule do not start at once.
        public var jitter: Duration?
        public var dependsOn: [String]
        /// A command whose exit status says whether the job is healthy: 0 ok, 1 warning, anything else
        /// critical; the first line of its output is the message.
        public var healthCheck: [String]?
        /// A running task of this job with no progress or log line for this long is stuck (default:
        /// `health.stuck_after`).
        public var stuckAfter: Duration?
        /// Where `[jobs.NAME]` (or its first key) was written.
        public var location: SourceLocation
    }

    /// `[sources.NAME]`: each new file matching `glob` in `directory` starts a run of `job`.
    public struct Source: Sendable, Hashable {
        public var name: String
        public var directory: String
        public var glob: String
        public var job: String
        public var location: SourceLocation
    }

    /// `[[health.watchdogs]]`: alert when `job`'s last success is older than `maxAge`.
    public struct Watchdog: Sendable, Hashable {
        public var name: String
        public var job: String
        public var maxAge: Duration
        public var location: SourceLocation
    }

    /// `[health]`.
    public struct Health: Sendable, Hashable {
        /// The watchdog the daemon's housekeeping loop pets each time the scheduler accepts its task.
        public static let schedulerWatchdog = "scheduler"
        /// The watchdog of the loop that evaluates watchdogs and health checks.
        public static let evaluationWatchdog = "evaluation"
        /// The watchdogs of the daemon's own loops, whose names a config's watchdogs may not take.
        public static let daemonWatchdogs = [schedulerWatchdog, evaluationWatchdog]

        public var ruleFiles: [String] = []
        public var evaluationInterval: Duration?
        public var alertmanager: String?
        /// A running task with no progress or log line for this long is stuck (`stuck_after`, default 15m).
        public var stuckAfter: Duration?
        /// Time between runs of each job's `health_check` (`check_interval`, default 1m).
        public var checkInterval: Duration?
        /// Longest run of a `health_check` before it counts as critical (`check_timeout`, default 10s).
        public var checkTimeout: Duration?
        /// Run on each alert that starts firing or resolves (`notify_command`), with the alert in
        /// `MEMORYD_ALERT_*` variables.
        public var notifyCommand: [String]?
        /// Longest run of `notify_command` before it is stopped (`notify_timeout`, default 30s).
        public var notifyTimeout: Duration?
        public var watchdogs: [Watchdog] = []
        /// The `job` label rules see on every series, as a Prometheus scrape adds it (`job`, default
        /// `memoryd`).
        public var job: String?
        /// The `instance` label rules see on every series (`instance`, default the HTTP listen address).
        public var instance: String?
        /// Labels alerts carry when sent out, and `$externalLabels` in templates (`external_labels`).
        public var externalLabels: [String: String] = [:]
        /// `$externalURL` in templates (`external_url`, default `http://` and the HTTP listen address).
        public var externalURL: String?
    }

    /// The file the config was read from.
    public var file: String
    /// `[daemon]` and `[event_log]`, with the defaults filled in for what the file leaves out.
    public var daemon = DaemonSettings()
    /// Pool sizes by name, in the order written.
    public var pools: [(name: String, slots: Int)] = []
    /// Jobs in the order written.
    public var jobs: [Job] = []
    public var sources: [Source] = []
    public var health = Health()
    /// The groups of `health.rule_files`, read and checked when the config was read; a reload reads the
    /// config and its rule files again.
    public internal(set) var ruleGroups: [RuleGroup] = []

    /// `90s`, `15m`, `1h`, `2d`, `250ms`: a duration as a config file would write it.
    public static func compact(_ duration: Duration) -> String {
        DurationText.compact(milliseconds: duration.milliseconds)
    }

    /// `90s`, `1h30m`, `250ms`: a duration as config files and options write it; `nil` if it is not one.
    public static func parseDuration(_ text: String) -> Duration? { ConfigReader.parseDuration(text) }

    /// The job called `name`.
    public func job(_ name: String) -> Job? { jobs.first { $0.name == name } }
}

/// Every error found in a config file, in file order; its description has one `file:line:column: …` per line.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
