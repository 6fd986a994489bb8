public import FoundationEssentials
import Jobkit

/// The systemd unit `memoryd install-service` writes: `Type=notify` with the daemon's watchdog, reload by
/// SIGHUP, restart on failure, and a stop that leaves running tasks their `shutdown_grace`.
public struct ServiceUnit: Sendable {
    /// A user unit (`systemctl --user`) or a system one.
    public var user: Bool
    /// Absolute path of the memoryd binary.
    public var executable: String
    /// Absolute path of the config file, if the daemon should run one.
    public var configPath: String?
    /// The config, when there is one (its `shutdown_grace` sets the stop timeout).
    public var config: MemorydConfig?
    /// systemd's `WatchdogSec`: the daemon sends `WATCHDOG=1` every half of it while its loops answer.
    public var watchdog: Duration

    /// Default `WatchdogSec` (30 s), comfortably above the daemon's loop watchdog of
    /// ``DaemonSettings/minimumLoopWatchdogTimeout``.
    public static let defaultWatchdog: Duration = .seconds(30)
    /// `memoryd run`'s exit status for a state directory it refuses (3), after which systemd must not
    /// restart it.
    public static let damagedStateExitStatus: Int32 = 3
    /// Time systemd waits for a restart after a failure (`RestartSec`, 5 s).
    public static let restartDelay: Duration = .seconds(5)
    /// Added to `shutdown_grace` for `TimeoutStopSec`: time to cancel what is left and write the queue (15 s).
    public static let stopMargin: Duration = .seconds(15)
    /// The system unit's state and runtime directories under /var/lib and /run (`StateDirectory=`).
    public static let systemDirectoryName = "memoryd"
    /// The unit's file name.
    public static let fileName = "memoryd.service"

    public init(user: Bool, executable: String, configPath: String?, config: MemorydConfig?, watchdog: Duration) {
        self.user = user
        self.executable = executable
        self.configPath = configPath
        self.config = config
        self.watchdog = watchdog
    }

    /// Where the unit goes by default: `$XDG_CONFIG_HOME/systemd/user` (or `~/.config/systemd/user`) for a
    /// user unit, `/etc/systemd/system` for a system one.
    public static func defaultPath(user: Bool, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        guard user else { return "/etc/systemd/system/" + fileName }
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? Paths.home(environment: environment)
            + "/.config"
        return base + "/systemd/user/" + fileName
    }

    /// The system unit's Unix socket, under its `RuntimeDirectory=` (unless the config names another).
    public var socketPath: String? { user ? nil : "/run/\(Self.systemDirectoryName)/memoryd.sock" }

    /// The command line systemd starts.
    public var commandLine: [String] {
        [executable, "run"] + (configPath.map { ["--config", $0] } ?? [])
    }

    /// The unit file's text.
    public func render() -> String {
        let grace = config?.daemon.shutdownGrace ?? DaemonSettings.defaultShutdownGrace
        var service = [
            "Type=notify",
            "NotifyAccess=main",
            "ExecStart=" + commandLine.map(Self.quoted).joined(separator: " "),
            "ExecReload=/bin/kill -HUP $MAINPID",
            "WatchdogSec=\(Self.seconds(watchdog))",
            "Restart=on-failure",
            "RestartSec=\(Self.seconds(Self.restartDelay))",
            // Exit 3 is a damaged state directory: restarting cannot mend it, an operator must look.
            "RestartPreventExitStatus=\(Self.damagedStateExitStatus)",
            // SIGTERM to memoryd alone, which lets running tasks finish; whatever is left at the timeout is killed.
            "KillMode=mixed",
            "TimeoutStopSec=\(Self.seconds(grace + Self.stopMargin))",
        ]
        if !user {
            // A system service has no XDG directories of its own: these make the defaults, and a config
            // written with $XDG_STATE_HOME and $XDG_RUNTIME_DIR, land in /var/lib/memoryd and /run/memoryd.
            service += [
                "Environment=XDG_STATE_HOME=/var/lib XDG_RUNTIME_DIR=/run/\(Self.systemDirectoryName)",
                "StateDirectory=\(Self.systemDirectoryName)",
                "StateDirectoryMode=0700",
                "RuntimeDirectory=\(Self.systemDirectoryName)",
                "RuntimeDirectoryMode=0700",
                "NoNewPrivileges=yes",
            ]
        }
        return """
            # Written by `memoryd install-service\(user ? " --user" : "")`.
            [Unit]
            Description=memoryd: background jobs, metrics and health
            After=network.target

            [Service]
            \(service.joined(separator: "\n"))

            [Install]
            WantedBy=\(user ? "default.target" : "multi-user.target")

            """
    }

    /// What to run next, as the command prints it.
    public var nextSteps: [String] {
        let systemctl = user ? "systemctl --user" : "systemctl"
        var steps = ["\(systemctl) daemon-reload", "\(systemctl) enable --now memoryd"]
        if let socketPath {
            steps.append("export MEMORYD_SOCKET=\(socketPath)   # where memoryd status and the other commands find it")
        }
        return steps
    }

    /// Whole seconds, as systemd reads a bare number.
    private static func seconds(_ duration: Duration) -> String {
        "\(max(1, (duration.milliseconds + 999) / 1000))"
    }

    /// An `ExecStart=` word: quoted when it holds a space, a quote, a backslash, `$` or `%`.
    static func quoted(_ word: String) -> String {
        var escaped = ""
        var needsQuotes = word.isEmpty
        for character in word {
            switch character {
            case "\\", "\"":
                escaped += "\\" + String(character)
                needsQuotes = true
            case "%":
                escaped += "%%"
            case "$":
                escaped += "$$"
            case " ", "\t", "'", ";":
                escaped.append(character)
                needsQuotes = true
            default:
                escaped.append(character)
            }
        }
        return needsQuotes ? "\"\(escaped)\"" : escaped
    }
}
