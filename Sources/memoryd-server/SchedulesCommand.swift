import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import JobkitSupport
import MemorydClient
import MemorydCore

struct Schedules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "List the scheduled jobs of the running daemon with their next and last fire times.",
        discussion: """
            Times are shown in each schedule's own time zone. A run a schedule missed while the daemon was \
            down is made up at start unless the job says catch_up = false.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the JSON of GET /v1/schedules.")
    var json = false

    func run() throws {
        let response = try call { try global.client.get("/v1/schedules") }
        if json {
            StandardStreams.output(Data(response.body))
            return
        }
        struct Answer: Decodable { var schedules: [ScheduleEntry] }
        guard let answer = try? WireJSON.decode(Answer.self, from: response.body) else {
            printError("memoryd: could not read the daemon's answer to GET /v1/schedules")
            throw ExitCode.failure
        }
        guard !answer.schedules.isEmpty else {
            printLine("no job has a schedule")
            return
        }
        let now = Date()
        var rows = [["JOB", "SCHEDULE", "ZONE", "NEXT", "LAST"]]
        for entry in answer.schedules {
            let zone = (try? ZoneInfo.load(entry.timezone)) ?? ZoneInfo.local()
            let next = entry.nextFire.map {
                HumanOutput.localTime($0.timeIntervalSince1970, in: zone) + " (in "
                    + DurationText.human(seconds: $0.timeIntervalSince(now)) + ")"
            }
            rows.append([
                entry.job + (entry.paused ? " (paused)" : ""), entry.schedule + (entry.catchUp ? "" : " (no catch-up)"),
                entry.timezone, next ?? "never",
                entry.lastFire.map { HumanOutput.localTime($0.timeIntervalSince1970, in: zone) } ?? "-",
            ])
        }
        for line in HumanOutput.align(rows) { printLine(line) }
    }
}

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause a job: its tasks wait, pending, until `memoryd resume`; running ones finish.",
        discussion: """
            The pause is kept across restarts. While a job is paused its schedules and sources still start \
            runs, whose tasks wait, unless the job says paused_triggers = "drop".
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A job of the daemon's config.")
    var job: String

    func run() throws { try setPaused(global, job, true) }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused job: its waiting tasks go on, in the order they became ready.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A job of the daemon's config.")
    var job: String

    func run() throws { try setPaused(global, job, false) }
}

private func setPaused(_ global: GlobalOptions, _ job: String, _ paused: Bool) throws {
    // Job names are TOML keys, usually bare (letters, digits, - and _); anything else is percent-encoded.
    let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    let encoded = job.utf8.map { byte in
        let hex = String(byte, radix: 16, uppercase: true)
        return unreserved.contains(byte) ? String(UnicodeScalar(byte)) : "%" + (hex.count == 1 ? "0" : "") + hex
    }
    let path = "/v1/jobs/\(encoded.joined())/"
    let response = try call { try global.client.send("POST", path + (paused ? "pause" : "resume")) }
    struct Answer: Decodable { var pendingTasks: Int }
    let waiting = (try? WireJSON.decode(Answer.self, from: response.body))?.pendingTasks ?? 0
    printLine("\(job): " + (paused ? "paused, \(waiting) tasks waiting" : "resumed"))
}
