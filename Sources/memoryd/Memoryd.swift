import ArgumentParser
import CoreMetrics
import Foundation
import JobkitMetrics
import MemorydCore

@main
struct Memoryd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run background jobs on this host and watch them: metrics, status, health.",
        subcommands: [Run.self, Status.self, Events.self, CheckConfig.self, Graph.self])
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the daemon in the foreground; SIGTERM or SIGINT stops it cleanly.",
        discussion: """
            Serves /metrics (Prometheus text or OpenMetrics, gzip when accepted), /v1/metrics (JSON), /healthz and /v1/status on the TCP listener \
            and on the Unix socket, and writes a status file to the state directory.
            """)

    @Option(help: ArgumentHelp("TCP listener as HOST:PORT; \"\" for none.", valueName: "host:port"))
    var http: String = DaemonSettings.defaultHTTP

    @Option(help: ArgumentHelp("Unix socket path (default $XDG_RUNTIME_DIR/memoryd.sock).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("State directory (default $XDG_STATE_HOME/memoryd).", valueName: "dir"))
    var stateDir: String?

    @Option(help: "Number of workers.")
    var workers: Int = DaemonSettings.defaultWorkers

    func run() async throws {
        let settings = DaemonSettings(
            http: http.isEmpty ? nil : http, socket: socket ?? DaemonSettings.defaultSocketPath(),
            stateDirectory: stateDir ?? DaemonSettings.defaultStateDirectory(), workers: workers)
        do {
            let daemon = try MemorydDaemon(settings: settings)
            // Metrics of any swift-metrics library in this process are exposed with the daemon's own.
            MetricsSystem.bootstrap(try SwiftMetricsFactory(registry: daemon.registry))
            try await daemon.run { addresses in
                let line = "memoryd: listening on " + addresses.joined(separator: " and ") + "\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("memoryd: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
