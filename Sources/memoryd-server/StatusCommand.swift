import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import JobkitSupport
import MemorydClient
import MemorydCore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show workers, tasks by state, pools and per-job rates of the running daemon.",
        discussion: """
            Asks the daemon over its Unix socket. With --offline, reads the status file the daemon writes \
            every status_interval in its state directory instead, which also works when it is down.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the JSON of GET /v1/status.")
    var json = false

    @Flag(help: "Read the status file instead of asking the daemon.")
    var offline = false

    func run() throws {
        let data: Data
        if offline {
            let path = global.stateDirectory + "/status.json"
            guard let contents = FileManager.default.contents(atPath: path) else {
                printError(
                    "memoryd: no status file at \(path); has a daemon run with --state-dir \(global.stateDirectory)?")
                throw ExitCode.failure
            }
            data = contents
        } else {
            do {
                let response = try global.client.get("/v1/status")
                try requireSuccess(response)
                data = Data(response.body)
            } catch let error as DaemonClient.ClientError {
                printError("memoryd: \(error)")
                throw ExitCode.failure
            }
        }
        if json {
            StandardStreams.output(data)
            return
        }
        do {
            print(HumanOutput.status(try StatusSnapshot.decode(data), offline: offline), terminator: "")
        } catch {
            printError("memoryd: could not read the status: \(error)")
            throw ExitCode.failure
        }
    }
}
