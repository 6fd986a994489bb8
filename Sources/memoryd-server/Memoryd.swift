import ArgumentParser
import CoreMetrics
import Dispatch
import FoundationEssentials
import JobkitDaemon
import JobkitMetrics
import JobkitSupport
import MemorydClient
import MemorydCore

/// Every command names itself (`commandName:`): without one, ArgumentParser derives the name from the
/// type's with `String(describing:)`, whose dynamic casts scan the whole binary's protocol conformances
/// once per command type, a fifth of a client call's start-up (`memoryd status`, 6.8 → 4.9 ms of CPU).
struct Memoryd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memoryd",
        abstract: "Run background jobs on this host and watch them: metrics, status, health.",
        version: MemorydVersion.current,
        subcommands: [
            Run.self, Status.self, Tasks.self, Schedules.self, Pause.self, Resume.self, Submit.self, Cancel.self,
            Logs.self, Events.self, Alerts.self, Health.self,
            Top.self, Reload.self, CheckConfig.self, Graph.self, InstallService.self,
        ])
}

/// The entry point. Client commands run synchronously on the main thread: an `async` main starts the
/// concurrency runtime's threads before the first line of a command, a third of a client call's
/// start-up (Benchmarks/CLI/README.md). Only the daemon, `run`, starts them.
@main
enum MemorydMain {
    static func main() {
        let command: any ParsableCommand
        do {
            command = try Memoryd.parseAsRoot()
        } catch {
            Memoryd.exit(withError: error)
        }
        // A cast to the concrete type, not to `AsyncParsableCommand`: that one would scan the binary's
        // protocol conformances.
        if let daemon = command as? Run {
            // Before any thread starts, or each gets an arena of its own; the config may raise it later.
            HeapTrimmer.limitArenas(to: HeapTrimmer.defaultArenas)
            Task {
                do {
                    try await daemon.run()
                    Memoryd.exit()
                } catch {
                    Memoryd.exit(withError: error)
                }
            }
            dispatchMain()
        }
        do {
            var command = command
            try command.run()
        } catch {
            Memoryd.exit(withError: error)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start the daemon in the foreground; SIGTERM or SIGINT stops it cleanly.",
        discussion: """
            Serves /metrics (Prometheus text or OpenMetrics, gzip when accepted), /v1/metrics (JSON), /healthz, \
            /readyz, /v1/status, /v1/alerts and /v1/events on the TCP listener and on the Unix socket, keeps an event log and a \
            status file in the state directory, and with --config runs the configured jobs on their \
            schedules. Options given here override the config file's [daemon] section.
            """)

    @Option(help: ArgumentHelp("Config file (TOML); see examples/pipeline.toml.", valueName: "file"))
    var config: String?

    @Option(
        help: ArgumentHelp("TCP listener as HOST:PORT (default 127.0.0.1:9477); \"\" for none.", valueName: "host:port")
    )
    var http: String?

    @Option(help: ArgumentHelp("Unix socket path (default $XDG_RUNTIME_DIR/memoryd.sock).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("State directory (default $XDG_STATE_HOME/memoryd).", valueName: "dir"))
    var stateDir: String?

    @Option(help: "Number of workers (default 4).")
    var workers: Int?

    @Flag(
        help: ArgumentHelp(
            "Move the state directory's contents aside (into previous-TIME/ inside it) and start empty.",
            discussion:
                "For a state directory memoryd refuses to start on (exit 3): a missing or foreign queue database, an unreadable event log."
        ))
    var resetState = false

    func run() async throws {
        var loaded: MemorydConfig?
        if let config {
            do {
                loaded = try MemorydConfig.load(path: config)
            } catch {
                StandardStreams.error("\(error)\nmemoryd: not started; fix the config above\n")
                throw ExitCode.failure
            }
        }
        var settings = loaded?.daemon ?? DaemonSettings()
        if let http { settings.http = http.isEmpty ? nil : http }
        if let socket { settings.socket = socket }
        if let stateDir { settings.stateDirectory = stateDir }
        if let workers { settings.workers = workers }
        do {
            let daemon = try MemorydDaemon(
                settings: settings, config: loaded, configPath: config, resetState: resetState)
            // Metrics of any swift-metrics library in this process are exposed with the daemon's own.
            MetricsSystem.bootstrap(try SwiftMetricsFactory(registry: daemon.registry))
            let stateDirectory = settings.stateDirectory
            try await daemon.run { addresses in
                StandardStreams.error(
                    "memoryd \(MemorydVersion.current): listening on \(addresses.joined(separator: " and ")); "
                        + "state in \(stateDirectory)\n")
            }
        } catch let error as DaemonError where error.code == .damagedState {
            StandardStreams.error("memoryd: not started: \(error)\n")
            throw ExitCode(ServiceUnit.damagedStateExitStatus)
        } catch {
            StandardStreams.error("memoryd: \(error)\n")
            throw ExitCode.failure
        }
    }
}
