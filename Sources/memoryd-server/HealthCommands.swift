import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import JobkitSupport
import MemorydClient
import MemorydCore

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the pending and firing alerts of the daemon's rules (health.rule_files).",
        discussion: "The same alerts as GET /v1/alerts, whose shape follows Prometheus' /api/v1/alerts.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the JSON of GET /v1/alerts.")
    var json = false

    func run() throws {
        let response = try call { try global.client.get("/v1/alerts") }
        if json {
            StandardStreams.output(response.body)
            return
        }
        let alerts = AlertsDocument.decode(response.body)?.alerts ?? []
        guard !alerts.isEmpty else {
            printLine("no alerts pending or firing")
            return
        }
        var rows = [["ALERT", "STATE", "SINCE", "VALUE", "LABELS"]]
        for alert in alerts { rows.append([alert.name, alert.state, alert.activeAt, alert.value, alert.labelText]) }
        for line in HumanOutput.align(rows) { printLine(line) }
        for alert in alerts { if let summary = alert.annotations["summary"] { printLine("  \(summary)") } }
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Say whether the daemon is healthy; exit status 0 ok, 1 warning, 2 critical.",
        discussion: """
            The checks of GET /readyz: config loaded, persistent queue answering, and no alert firing \
            (a firing alert is a warning; one labelled severity="critical" is critical). No daemon \
            answering is critical too.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the JSON of GET /readyz.")
    var json = false

    /// Exit statuses, as monitoring plugins use them.
    static let warningStatus: Int32 = 1
    static let criticalStatus: Int32 = 2

    func run() throws {
        let response: DaemonClient.Response
        do {
            response = try global.client.get("/readyz")
        } catch {
            printError("memoryd: critical: \(error)")
            throw ExitCode(Self.criticalStatus)
        }
        guard let answer = try? WireJSON.decode(Readiness.self, from: response.body) else {
            printError("memoryd: critical: the daemon answered \(response.status) without a readiness report")
            throw ExitCode(Self.criticalStatus)
        }
        if json {
            StandardStreams.output(response.body)
        } else {
            printLine(answer.status)
            for line in HumanOutput.align(answer.checks.map { ["  " + $0.name, $0.status, $0.message ?? ""] }) {
                printLine(line)
            }
        }
        switch answer.status {
        case "ok": return
        case "warning": throw ExitCode(Self.warningStatus)
        default: throw ExitCode(Self.criticalStatus)
        }
    }
}

/// `GET /readyz`'s answer.
private struct Readiness: Decodable {
    struct Check: Decodable {
        var name: String
        var status: String
        var message: String?
    }
    var status: String
    var checks: [Check]
}
