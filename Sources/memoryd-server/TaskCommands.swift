import ArgumentParser
import FoundationEssentials
import Jobkit
import JobkitDaemon
import JobkitSupport
import MemorydClient
import MemorydCore

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Start a run of JOB (and everything downstream of it); prints the task id.",
        discussion: """
            Parameters reach the job's command as MEMORYD_PARAM_<KEY> (upper-cased).

            With --batch, submissions come from standard input, one JSON object per line \
            ({"job": "NAME", "params": {"KEY": "VALUE"}}), and are sent --batch-size at a time, each group \
            recorded in one commit. One JSON answer per submission is printed, in order: {"status": 201, \
            "id": …, "run": …, "tasks": …}, or {"status": 409, "error": …} for an equal run of a unique \
            job. A malformed line or an unknown job stops the batch there; the groups before it were \
            submitted. Exits 1 when any submission was not started.
            """)

    /// Submissions per request with `--batch` unless `--batch-size` says otherwise: well under the
    /// daemon's 1 MiB body limit for lines of ordinary size.
    static let defaultBatchSize = 1_000

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A job of the daemon's config (not with --batch).")
    var job: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("A parameter (repeatable).", valueName: "key=value"))
    var parameters: [String] = []

    @Flag(help: "Print the JSON answer (id, run, and the task of every job in the run).")
    var json = false

    @Flag(help: "Read submissions from standard input, one JSON object per line (NDJSON in and out).")
    var batch = false

    @Option(
        help: ArgumentHelp("Submissions per request with --batch (default \(Self.defaultBatchSize)).", valueName: "n"))
    var batchSize: Int = Self.defaultBatchSize

    func validate() throws {
        if batch {
            guard job == nil, parameters.isEmpty else {
                throw ValidationError("--batch reads jobs and parameters from standard input; give neither here")
            }
            guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        } else if job == nil {
            throw ValidationError("give a JOB to submit, or --batch to read submissions from standard input")
        }
    }

    func run() throws {
        if batch { return try BatchSubmit(client: global.client, size: batchSize).run() }
        try Self.submit(job!, parameters: parameters, json: json, client: global.client)
    }

    /// Starts a run of `job` with `parameters` (each `KEY=VALUE`) and prints its task id, or with `json`
    /// the daemon's answer.
    static func submit(_ job: String, parameters: [String], json: Bool, client: DaemonClient) throws {
        let pairs: [(String, String)]
        do {
            pairs = try SubmitCall.parameters(parameters)
        } catch {
            throw ValidationError("--param takes KEY=VALUE, not '\(error.parameter)'")
        }
        do {
            try SubmitCall.run(job, parameters: pairs, json: json, client: client)
        } catch {
            throw ExitCode.failure(after: error)
        }
    }
}

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a task: a running command gets SIGTERM, then SIGKILL after the grace.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The task id, as printed by submit or tasks (t42).", valueName: "task-id"))
    var id: String

    func run() throws {
        _ = try call { try global.client.send("DELETE", "/v1/tasks/\(id)") }
        printLine("cancelling \(id)")
    }
}

struct Tasks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "List the daemon's tasks, oldest first.")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only tasks in this state (pending, running, failed, …).", valueName: "state"))
    var state: String?

    @Flag(help: "Print the JSON of GET /v1/tasks.")
    var json = false

    func run() throws {
        let response = try call { try global.client.get("/v1/tasks" + (state.map { "?state=\($0)" } ?? "")) }
        if json {
            StandardStreams.output(response.body)
            return
        }
        let tasks = (try? WireJSON.decode(TaskList.self, from: response.body))?.tasks ?? []
        var rows = [["ID", "JOB", "STATE", "ATTEMPT", "RUN"]]
        for task in tasks {
            rows.append([task.id.description, task.job, task.state.rawValue, "\(task.attempt)", task.run ?? "-"])
        }
        for line in HumanOutput.align(rows) { printLine(line) }
    }
}

/// Runs a client call, turning a missing daemon or an error answer into a message and exit status 1.
func call(_ request: () throws -> DaemonClient.Response) throws -> DaemonClient.Response {
    let response: DaemonClient.Response
    do {
        response = try request()
    } catch let error as DaemonClient.ClientError {
        throw ExitCode.failure(after: ClientCall.report(error))
    }
    try requireSuccess(response)
    return response
}

/// `GET /v1/tasks`' answer.
private struct TaskList: Decodable {
    var tasks: [TaskResource]
}
