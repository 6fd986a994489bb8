public import FoundationEssentials
public import JobkitDaemon
import MemorydClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where and how `memoryd run` serves: the config's `[daemon]` and `[event_log]` sections with the
/// defaults (SPEC §8's) for what they leave out, then `memoryd run`'s flags on top.
public struct DaemonSettings: Sendable, Hashable {
    /// Default TCP listener: loopback only.
    public static let defaultHTTP = DaemonAddress.defaultHTTP
    /// Default number of workers.
    public static let defaultWorkers = 4
    /// Default period of the status snapshot.
    public static let defaultStatusInterval: Duration = .seconds(2)
    /// Default number of recent tasks in a status snapshot.
    public static let defaultRecentTasks = 50
    /// Default period of SSE keep-alive comments on `/v1/events`, so proxies and clients see a live stream.
    public static let defaultEventsHeartbeat: Duration = EventsEndpoint.defaultHeartbeat
    /// Default buffer of the event log's subscription: events the log may fall behind by before it loses some.
    public static let defaultEventLogBuffer = 16_384
    /// Default time running tasks get to finish after SIGTERM before they are cancelled.
    public static let defaultShutdownGrace: Duration = .seconds(30)

    /// Rounds of the housekeeping loop (one per `status_interval`) the daemon's loops may miss before their
    /// watchdogs are overdue (5).
    public static let loopWatchdogMisses = 5
    /// Shortest timeout of the loop watchdogs, however short `status_interval` is (10 s).
    public static let minimumLoopWatchdogTimeout: Duration = .seconds(10)

    /// `HOST:PORT` of the TCP listener, or `nil` for none.
    public var http: String?
    /// Path of the Unix control socket.
    public var socket: String
    /// Directory for the status file and the event log (and, later, the queue).
    public var stateDirectory: String
    public var workers: Int
    public var statusInterval: Duration
    public var recentTasks: Int
    /// Size and retention of `events.jsonl` in the state directory.
    public var eventLog: EventLog.Configuration
    public var eventsHeartbeat: Duration
    public var eventLogBuffer: Int
    public var shutdownGrace: Duration
    /// Limits of each HTTP listener: connections, per address, request deadline, streams.
    public var httpServer: HTTPServer.Configuration = HTTPServer.Configuration()
    /// What TCP clients may read without the bearer token.
    public var tcpReads: MemorydConfig.TCPReads = .token
    /// Free heap bytes that, once piled up since the last trim, are given back to the system (after a
    /// burst); 0 never trims. See ``HeapTrimmer``.
    public var memoryTrimThreshold: Int = HeapTrimmer.defaultThreshold
    /// malloc arenas the daemon's threads share; see ``HeapTrimmer/defaultArenas``.
    public var mallocArenas: Int = HeapTrimmer.defaultArenas
    /// The most memory SQLite keeps for the queue database's pages (512 KiB).
    public var queueCacheBytes: Int = TaskStore.defaultCacheBytes
    /// Bytes of output text the queue keeps per attempt of a task (256 KiB; the first and the last
    /// lines, each within half); 0 keeps none.
    public var taskOutputBytes: Int = TaskStore.defaultOutputBytes
    /// How long and how many finished tasks (with their output) the queue keeps (7 days, 100,000).
    public var taskRetention = TaskRetention()
    /// Bearer token that unlocks mutating endpoints on TCP (and reads there, see ``tcpReads``); `nil` for
    /// none, and then TCP is read-only.
    public var token: String?

    public init(
        http: String? = defaultHTTP,
        socket: String = DaemonSettings.defaultSocketPath(),
        stateDirectory: String = DaemonSettings.defaultStateDirectory(),
        workers: Int = defaultWorkers,
        statusInterval: Duration = defaultStatusInterval,
        recentTasks: Int = defaultRecentTasks,
        eventLog: EventLog.Configuration = EventLog.Configuration(),
        eventsHeartbeat: Duration = defaultEventsHeartbeat,
        eventLogBuffer: Int = defaultEventLogBuffer,
        shutdownGrace: Duration = defaultShutdownGrace
    ) {
        self.http = http
        self.socket = socket
        self.stateDirectory = stateDirectory
        self.workers = workers
        self.statusInterval = statusInterval
        self.recentTasks = recentTasks
        self.eventLog = eventLog
        self.eventsHeartbeat = eventsHeartbeat
        self.eventLogBuffer = eventLogBuffer
        self.shutdownGrace = shutdownGrace
    }

    /// How long one of the daemon's own loops may go without a round before `/healthz` fails and systemd's
    /// watchdog is no longer petted: ``loopWatchdogMisses`` status intervals, at least
    /// ``minimumLoopWatchdogTimeout``.
    public var loopWatchdogTimeout: Duration {
        max(statusInterval * Self.loopWatchdogMisses, Self.minimumLoopWatchdogTimeout)
    }

    /// `$XDG_RUNTIME_DIR/memoryd.sock`, or `/tmp/memoryd-UID/memoryd.sock` when that is unset: the same
    /// for the daemon and every client command.
    public static func defaultSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String
    {
        DaemonAddress.defaultSocketPath { environment[$0] }
    }

    /// `$XDG_CONFIG_HOME/memoryd/memoryd.toml`, or `~/.config/memoryd/memoryd.toml`.
    public static func defaultConfigPath(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty { return config + "/memoryd/memoryd.toml" }
        return Paths.home(environment: environment) + "/.config/memoryd/memoryd.toml"
    }

    /// `$XDG_STATE_HOME/memoryd`, or `~/.local/state/memoryd`.
    public static func defaultStateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/memoryd" }
        let home = Paths.home(environment: environment)
        return home + "/.local/state/memoryd"
    }
}
