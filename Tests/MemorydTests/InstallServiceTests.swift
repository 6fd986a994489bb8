import Foundation
import Testing

@testable import MemorydCore

/// `memoryd install-service` writes units that systemd's own checker accepts, refuses to overwrite one
/// without --force, and writes nothing for a broken config.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct InstallServiceTests {
    let memoryd = DaemonProcess.binary.path
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)")
    static var example: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/pipeline.toml").path
    }

    /// `systemd-analyze verify` on `unit`; its output is empty when it has nothing to say.
    func verify(_ unit: URL, user: Bool) async throws -> (status: Int32, output: String) {
        if user {
            // A user manager needs a runtime directory; a private one stands in for the session's.
            let runtime = directory.appendingPathComponent("runtime")
            try FileManager.default.createDirectory(
                at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return try await runTool(
                "env", ["XDG_RUNTIME_DIR=\(runtime.path)", "systemd-analyze", "--user", "verify", unit.path])
        }
        return try await runTool("systemd-analyze", ["verify", unit.path])
    }

    @Test(arguments: [false, true])
    func theUnitPassesSystemdAnalyzeVerify(user: Bool) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let unit = directory.appendingPathComponent("memoryd.service")
        let written = try await runTool(
            memoryd,
            ["install-service", "--output", unit.path, "--config", Self.example, "--watchdog-sec", "1m"]
                + (user ? ["--user"] : []))
        #expect(written.status == 0, "\(written.output)")
        #expect(written.output == "wrote \(unit.path)\n")
        let text = try String(contentsOf: unit, encoding: .utf8)
        let binary = URL(fileURLWithPath: memoryd).resolvingSymlinksInPath().path
        for line in [
            "Type=notify", "ExecStart=\(binary) run --config \(Self.example)", "ExecReload=/bin/kill -HUP $MAINPID",
            "WatchdogSec=60", "Restart=on-failure", "KillMode=mixed", "TimeoutStopSec=45",
            user ? "WantedBy=default.target" : "WantedBy=multi-user.target",
        ] {
            #expect(text.contains("\n\(line)\n"), "\(line) missing from:\n\(text)")
        }
        #expect(text.contains("StateDirectory=memoryd") == !user)

        let verified = try await verify(unit, user: user)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.isEmpty, "systemd-analyze had something to say:\n\(verified.output)")
    }

    @Test func anExistingUnitIsKeptWithoutForceAndABrokenConfigWritesNothing() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let unit = directory.appendingPathComponent("memoryd.service")
        try "# mine\n".write(to: unit, atomically: true, encoding: .utf8)
        let refused = try await runTool(memoryd, ["install-service", "--output", unit.path])
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(unit.path) exists; add --force"), "\(refused.output)")
        #expect(try String(contentsOf: unit, encoding: .utf8) == "# mine\n")
        #expect(try await runTool(memoryd, ["install-service", "--output", unit.path, "--force"]).status == 0)
        #expect(try String(contentsOf: unit, encoding: .utf8).contains("Type=notify"))

        let config = directory.appendingPathComponent("broken.toml")
        try "[jobs.a]\ncommand = [\"true\"]\ntimeout = \"soon\"\n".write(to: config, atomically: true, encoding: .utf8)
        let other = directory.appendingPathComponent("other.service")
        let broken = try await runTool(memoryd, ["install-service", "--output", other.path, "--config", config.path])
        #expect(broken.status != 0)
        #expect(broken.output.contains("\(config.path):3:11:"), "\(broken.output)")
        #expect(!FileManager.default.fileExists(atPath: other.path))
        let badWatchdog = try await runTool(memoryd, ["install-service", "--output", "-", "--watchdog-sec", "soon"])
        #expect(badWatchdog.status != 0 && badWatchdog.output.contains("--watchdog-sec soon is not a duration"))
    }
}

/// What the unit says, without writing it.
struct ServiceUnitTests {
    @Test func wordsWithSpacesQuotesOrSpecifiersAreEscapedForExecStart() {
        #expect(ServiceUnit.quoted("/usr/bin/memoryd") == "/usr/bin/memoryd")
        #expect(ServiceUnit.quoted("/srv/my jobs/memoryd.toml") == #""/srv/my jobs/memoryd.toml""#)
        #expect(ServiceUnit.quoted(#"a"b"#) == #""a\"b""#)
        #expect(ServiceUnit.quoted("100%") == "100%%")
        #expect(ServiceUnit.quoted("$HOME") == "$$HOME")
    }

    @Test func aSystemUnitPutsStateAndSocketUnderVarLibAndRun() {
        let unit = ServiceUnit(
            user: false, executable: "/usr/local/bin/memoryd", configPath: nil, config: nil,
            watchdog: ServiceUnit.defaultWatchdog)
        let text = unit.render()
        #expect(text.contains("\nEnvironment=XDG_STATE_HOME=/var/lib XDG_RUNTIME_DIR=/run/memoryd\n"))
        #expect(text.contains("\nExecStart=/usr/local/bin/memoryd run\n"))
        #expect(unit.nextSteps.last?.hasPrefix("export MEMORYD_SOCKET=/run/memoryd/memoryd.sock") == true)
        #expect(ServiceUnit.defaultPath(user: false) == "/etc/systemd/system/memoryd.service")
        #expect(
            ServiceUnit.defaultPath(user: true, environment: ["HOME": "/home/ada"])
                == "/home/ada/.config/systemd/user/memoryd.service")
    }
}
