import ArgumentParser
import FoundationEssentials
import Jobkit
import JobkitDaemon
import MemorydClient
import MemorydCore

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the daemon's events, and with --follow keep printing them as they happen.",
        discussion: """
            Without --since, prints the events the daemon still holds in memory (with --follow: only new \
            ones). --since SEQ starts after that sequence number, reaching back into the event log. A line \
            "lagged: N events dropped" means this reader fell behind and the daemon skipped N events rather \
            than wait for it.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Keep printing new events until interrupted.")
    var follow = false

    @Option(help: ArgumentHelp("Only events of this job type (repeatable).", valueName: "job"))
    var job: [String] = []

    @Option(help: ArgumentHelp("Only events of this kind, e.g. failed (repeatable).", valueName: "kind"))
    var kind: [String] = []

    @Option(help: ArgumentHelp("Only events of this task, e.g. t42 (repeatable).", valueName: "task-id"))
    var task: [String] = []

    @Option(name: .customLong("run"), help: ArgumentHelp("Only events of this run (repeatable).", valueName: "run"))
    var runs: [String] = []

    @Option(help: ArgumentHelp("Only log events of at least this level.", valueName: "level"))
    var level: String?

    @Option(help: ArgumentHelp("Start after this sequence number.", valueName: "seq"))
    var since: UInt64?

    @Flag(help: "Print each event as a JSON line (NDJSON), as the API sends it.")
    var json = false

    func run() throws {
        var query = ["follow=\(follow)"]
        if let since { query.append("since=\(since)") }
        if !job.isEmpty { query.append("job=" + escape(job.joined(separator: ","))) }
        if !kind.isEmpty { query.append("kind=" + escape(kind.joined(separator: ","))) }
        if !task.isEmpty { query.append("task=" + escape(task.joined(separator: ","))) }
        if !runs.isEmpty { query.append("run=" + escape(runs.joined(separator: ","))) }
        if let level { query.append("level=" + escape(level)) }
        let decoder = WireJSON.decoder()
        do {
            let head = try global.client.streamLines("/v1/events?" + query.joined(separator: "&")) { line in
                guard !line.isEmpty else { return true }
                if json {
                    printLine(line)
                } else if let event = try? decoder.decode(JobEvent.self, from: Data(line.utf8)) {
                    printLine(HumanOutput.event(event))
                } else if let marker = try? decoder.decode(LaggedMarker.self, from: Data(line.utf8)) {
                    printLine("lagged: \(marker.dropped) events dropped")
                } else {
                    printLine(line)
                }
                return true
            }
            guard (200..<300).contains(head.status) else {
                printError("memoryd: the daemon answered \(head.status)")
                throw ExitCode.failure
            }
        } catch let error as DaemonClient.ClientError {
            printError("memoryd: \(error)")
            throw ExitCode.failure
        }
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, so a value is one query parameter.
    private func escape(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.append(byte)
            default:
                encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The line the daemon sends in place of events a slow reader missed.
    private struct LaggedMarker: Decodable { var dropped: Int }
}
