import ArgumentParser
import Dispatch
import FoundationEssentials
import Jobkit
import JobkitDaemon
import MemorydClient
import MemorydCore

#if canImport(Glibc)
    import Glibc
#endif

struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract:
            "A live view of the daemon: workers, queue, per-job rate, success, p99 and a sparkline, pools, alerts.",
        discussion: """
            Fed by the event stream (/v1/events) and by polling /v1/status and /v1/alerts. q quits; the view \
            follows the terminal's size. Without a terminal (or with --once) it prints one snapshot and exits.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(
        help: ArgumentHelp(
            "How often to poll the status and redraw, such as 1s or 500ms (default 1s).", valueName: "duration"))
    var interval: String?

    @Flag(help: "Print one snapshot and exit, even on a terminal.")
    var once = false

    /// Events replayed at start, so the sparklines begin filled (5,000).
    static let backfillEvents: UInt64 = 5000
    /// Columns of the snapshot printed without a terminal, unless $COLUMNS says otherwise (120).
    static let snapshotColumns = 120
    /// Wait before reconnecting the event stream after it broke (1 s).
    static let reconnectDelay: Duration = .seconds(1)
    /// The event kinds the view uses: everything but log lines and progress.
    static let kinds =
        [
            EventKind.queued, .waiting, .started, .retrying, .succeeded, .failed, .retriesExhausted, .timedOut,
            .cancelled,
            .skipped,
        ].map(\.rawValue) + ["alert_firing", "alert_resolved", "config_reloaded", "config_rejected"]

    func run() throws {
        var refresh: Duration = .seconds(1)
        if let interval {
            guard let parsed = MemorydConfig.parseDuration(interval) else {
                printError("memoryd: --interval \(interval) is not a duration (such as 1s or 500ms)")
                throw ExitCode.validationFailure
            }
            refresh = parsed
        }
        let client = global.client
        let model = TopModel()
        let status = try call { try client.get("/v1/status") }
        let snapshot = try StatusSnapshot.decode(Data(status.body))
        model.update(status: snapshot)
        Self.pollAlerts(client, into: model)
        let since = snapshot.lastEventSeq > Self.backfillEvents ? snapshot.lastEventSeq - Self.backfillEvents : 0
        let filter = "since=\(since)&kind=" + Self.kinds.joined(separator: ",")

        guard Terminal.isInteractive && !once else {
            // One snapshot: the replay fills the sparklines, then it ends.
            _ = try? client.streamLines("/v1/events?follow=false&" + filter) { line in
                Self.record(line, into: model)
                return true
            }
            let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? Self.snapshotColumns
            for line in TopScreen.render(model.frame(at: Date()), width: columns, height: Int.max, hint: nil) {
                printLine(line)
            }
            return
        }

        // The stream blocks its thread for as long as top runs: one of its own, not the main one.
        DispatchQueue.global().async {
            var resume = since
            while true {
                _ = try? client.streamLines("/v1/events?" + "since=\(resume)&kind=" + Self.kinds.joined(separator: ","))
                {
                    line in
                    if let seq = Self.record(line, into: model) { resume = seq }
                    return true
                }
                usleep(useconds_t(Self.reconnectDelay.seconds * 1_000_000))
            }
        }
        let terminal = try Terminal()
        defer { terminal.restore() }
        let timeout = Int32(clamping: max(1, refresh.milliseconds))
        while true {
            let size = Terminal.size() ?? (80, 24)
            terminal.draw(TopScreen.render(model.frame(at: Date()), width: size.columns, height: size.rows))
            switch terminal.waitForInput(timeoutMilliseconds: timeout) {
            case .quit, .key(UInt8(ascii: "q")), .key(UInt8(ascii: "Q")), .key(3): return
            case .resized, .key: continue
            case .timeout:
                do {
                    let response = try client.get("/v1/status")
                    model.update(status: try StatusSnapshot.decode(Data(response.body)))
                    Self.pollAlerts(client, into: model)
                } catch {
                    model.update(problem: "\(error)")
                }
            }
        }
    }

    /// Takes one NDJSON line of the event stream into the model; returns its sequence number.
    @discardableResult
    static func record(_ line: String, into model: TopModel) -> UInt64? {
        guard !line.isEmpty, let event = try? WireJSON.decode(JobEvent.self, from: line.utf8) else {
            return nil
        }
        model.record(event)
        return event.seq
    }

    static func pollAlerts(_ client: DaemonClient, into model: TopModel) {
        if let response = try? client.get("/v1/alerts"), let document = AlertsDocument.decode(response.body) {
            model.update(alerts: document.alerts)
        }
    }
}
