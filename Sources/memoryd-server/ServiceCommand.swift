import ArgumentParser
import FoundationEssentials
import JobkitSupport
import MemorydClient
import MemorydCore

struct InstallService: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-service",
        abstract: "Write a systemd unit that runs this memoryd binary as a Type=notify service.",
        discussion: """
            The unit runs `memoryd run` (with --config when given) as Type=notify: systemd waits for READY=1, \
            shows the daemon's STATUS=, reloads with SIGHUP (RELOADING=1), and restarts the daemon on failure \
            or when its loops stop answering for WatchdogSec. KillMode=mixed and TimeoutStopSec \
            (shutdown_grace plus 15s) let running tasks finish on stop. A system unit keeps its state in \
            /var/lib/memoryd and its socket in /run/memoryd, unless the config names others, and runs as root \
            (add User= with `systemctl edit memoryd` to change that). An existing unit file is kept unless \
            --force is given.
            """)

    @Flag(help: "Write a user unit (systemctl --user) instead of a system one.")
    var user = false

    @Option(
        help: ArgumentHelp(
            "Where to write the unit; - for standard output (default ~/.config/systemd/user/memoryd.service with --user, else /etc/systemd/system/memoryd.service).",
            valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("The config file the service runs (checked now).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("systemd's WatchdogSec, such as 30s or 2m (default 30s).", valueName: "duration"))
    var watchdogSec: String?

    @Flag(help: "Replace an existing unit file.")
    var force = false

    func run() throws {
        let executable = try Self.executablePath()
        var configPath: String?
        var loaded: MemorydConfig?
        if let config {
            let absolute = config.hasPrefix("/") ? config : FileManager.default.currentDirectoryPath + "/" + config
            do {
                loaded = try MemorydConfig.load(path: absolute)
            } catch {
                printError("\(error)\nmemoryd: no unit written; fix the config above")
                throw ExitCode.failure
            }
            configPath = absolute
        }
        var watchdog = ServiceUnit.defaultWatchdog
        if let watchdogSec {
            guard let parsed = MemorydConfig.parseDuration(watchdogSec), parsed >= .seconds(1) else {
                printError(
                    "memoryd: --watchdog-sec \(watchdogSec) is not a duration of at least 1s (such as 30s or 2m)")
                throw ExitCode.validationFailure
            }
            watchdog = parsed
        }
        let unit = ServiceUnit(
            user: user, executable: executable, configPath: configPath, config: loaded, watchdog: watchdog)
        let text = unit.render()
        let path = output ?? ServiceUnit.defaultPath(user: user)
        if path == "-" {
            StandardStreams.output(text)
            return
        }
        if FileManager.default.fileExists(atPath: path) && !force {
            printError("memoryd: \(path) exists; add --force to replace it, or --output - to see the new unit")
            throw ExitCode.failure
        }
        do {
            try FileManager.default.createDirectory(
                atPath: String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]).nonEmpty ?? ".",
                withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            printError("memoryd: cannot write \(path): \(error)")
            throw ExitCode.failure
        }
        printLine("wrote \(path)")
        if output == nil {
            printLine("next:")
            for step in unit.nextSteps { printLine("  " + step) }
        }
    }

    /// The absolute path the unit starts: `memoryd` beside this binary (the command users know; it execs
    /// memoryd-server in the same process, so systemd's view of the service is the same), else this
    /// binary itself.
    static func executablePath() throws -> String {
        do {
            let server = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            let front = Paths.join(Paths.directory(of: server), "memoryd")
            return FileManager.default.isExecutableFile(atPath: front) ? front : server
        } catch {
            printError("memoryd: cannot tell where this binary is (/proc/self/exe): \(error)")
            throw ExitCode.failure
        }
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
