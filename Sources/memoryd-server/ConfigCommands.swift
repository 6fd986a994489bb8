import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import JobkitSupport
import MemorydClient
import MemorydCore

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file: exit 0 if it is valid, else print each error as file:line:column.")

    @Argument(help: "The config file (TOML).")
    var file: String

    func run() throws {
        do {
            let config = try MemorydConfig.load(path: file)
            printLine(
                "\(file): ok — \(config.jobs.count) jobs, \(config.pools.count) pools, \(config.sources.count) sources, "
                    + "\(config.health.watchdogs.count) watchdogs")
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the pipeline of a config file as Graphviz DOT (pipe it into `dot -Tsvg`).")

    @Option(
        help: ArgumentHelp(
            "The config file (default $XDG_CONFIG_HOME/memoryd/memoryd.toml, else ~/.config/memoryd/memoryd.toml).",
            valueName: "file"))
    var config: String?

    func run() throws {
        let path = config ?? DaemonSettings.defaultConfigPath()
        if config == nil, !FileManager.default.fileExists(atPath: path) {
            printError(
                "memoryd: no config file at \(path), the default; pass one with --config FILE "
                    + "(for example --config examples/pipeline.toml)")
            throw ExitCode.failure
        }
        do {
            StandardStreams.output(try MemorydConfig.load(path: path).graphviz())
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running daemon re-read its config file (as SIGHUP does).",
        discussion: """
            A file with errors is refused, with each error as file:line:column, and the daemon keeps running \
            the config it had. Changing pools needs a restart.
            """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let response = try call { try global.client.send("POST", "/v1/reload") }
        struct Answer: Decodable { var jobs: Int }
        let answer = try? WireJSON.decode(Answer.self, from: response.body)
        printLine("reloaded: \(answer?.jobs ?? 0) jobs")
    }
}
