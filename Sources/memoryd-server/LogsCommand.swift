import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import JobkitSupport
import MemorydClient
import MemorydCore

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print what a task's attempts wrote on stdout and stderr, and logged, as the queue keeps it.",
        discussion: """
            Each attempt's lines follow a `--- attempt N` line; where the queue's bound \
            ([daemon] task_output_bytes) dropped lines from the middle, a line says how many. Works after \
            the task finished and after a restart, for the tasks of submitted jobs (not housekeeping).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The task id, as printed by submit or tasks (t42).", valueName: "task-id"))
    var id: String

    @Option(help: ArgumentHelp("Only this attempt, without its heading.", valueName: "n"))
    var attempt: Int?

    @Flag(help: "Print the NDJSON of GET /v1/tasks/{id}/log.")
    var json = false

    func validate() throws {
        if let attempt, attempt < 1 { throw ValidationError("--attempt counts from 1, not \(attempt)") }
    }

    func run() throws {
        let path = "/v1/tasks/\(id)/log" + (attempt.map { "?attempt=\($0)" } ?? "")
        let response = try call { try global.client.get(path) }
        if json {
            StandardStreams.output(response.body)
            return
        }
        for line in Self.render(response.body, headings: attempt == nil) { printLine(line) }
    }

    /// One line of the answer: a kept line, or a gap.
    private struct Entry: Decodable {
        var attempt: Int
        var text: String?
        var dropped: Int?
    }

    /// The answer's lines as text: each attempt under its heading when `headings`.
    static func render(_ body: [UInt8], headings: Bool) -> [String] {
        var lines: [String] = []
        var current: Int?
        for row in body.split(separator: UInt8(ascii: "\n")) {
            guard let entry = try? WireJSON.decode(Entry.self, from: Array(row)) else { continue }
            if headings, entry.attempt != current { lines.append("--- attempt \(entry.attempt)") }
            current = entry.attempt
            if let dropped = entry.dropped {
                lines.append("… \(dropped) line\(dropped == 1 ? "" : "s") dropped (daemon.task_output_bytes) …")
            } else {
                lines.append(entry.text ?? "")
            }
        }
        return lines
    }
}
