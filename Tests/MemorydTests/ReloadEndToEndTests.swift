import Foundation
import Testing

/// Reloading the config of a running daemon: a good file takes effect, a broken one is refused with its
/// location and the old config keeps running; SIGHUP does the same as `memoryd reload`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReloadEndToEndTests {
    @Test func aGoodConfigTakesEffectAndABrokenOneIsRefusedWhileTheOldKeepsRunning() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: config) }
        try "[jobs.first]\ncommand = [\"true\"]\n".write(to: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", config.path])
        _ = try await daemon.waitForPort()
        let memoryd = DaemonProcess.binary.path
        let socket = ["--socket", daemon.socketPath]

        try "[jobs.first]\ncommand = [\"true\"]\n[jobs.second]\ncommand = [\"true\"]\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let reloaded = try await runTool(memoryd, ["reload"] + socket)
        #expect(reloaded.status == 0)
        #expect(reloaded.output.contains("reloaded: 2 jobs"))
        #expect(try await runTool(memoryd, ["submit", "second"] + socket).status == 0)

        try "[jobs.first]\ncommand = [\"true\"]\nretries = -1\n".write(to: config, atomically: true, encoding: .utf8)
        let refused = try await runTool(memoryd, ["reload"] + socket)
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(config.path):3:11: jobs.first.retries must be at least 0, not -1"))
        // The previous config still runs: its second job can still be submitted.
        #expect(try await runTool(memoryd, ["submit", "second"] + socket).status == 0)

        // SIGHUP: the same refusal, reported as an event.
        kill(daemon.process.processIdentifier, SIGHUP)
        let rejected = try await poll("a config_rejected event", deadline: .seconds(30)) { () -> String? in
            let text = try await runTool(memoryd, ["events", "--kind", "config_rejected", "--json"] + socket).output
            return text.split(separator: "\n").count >= 2 ? text : nil
        }
        #expect(rejected.contains("retries must be at least 0"))
        #expect(try await daemon.terminate() == 0)
    }

    /// Each reload with an Alertmanager configured replaced the notifier but left its thread running.
    @Test func reloadsDoNotLeaveAlertmanagerThreadsBehind() async throws {
        let directory = try makeTemporaryDirectory("reload-threads")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Port 1 on loopback: nothing listens; no alert fires anyway.
        let config = try writeConfig(
            "[health]\nalertmanager = \"http://127.0.0.1:1\"\n\n[jobs.first]\ncommand = [\"true\"]\n", in: directory)
        let daemon = try DaemonProcess(arguments: ["--config", config.path])
        _ = try await daemon.waitForPort()
        func alertmanagerThreads() -> Int {
            let tasks = "/proc/\(daemon.process.processIdentifier)/task"
            return ((try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []).filter { id in
                (try? String(contentsOfFile: "\(tasks)/\(id)/comm", encoding: .utf8))?.hasPrefix("alertmanager") == true
            }.count
        }
        #expect(alertmanagerThreads() == 1)
        for _ in 0..<Self.reloads {
            let reloaded = try await runTool(DaemonProcess.binary.path, ["reload", "--socket", daemon.socketPath])
            #expect(reloaded.status == 0, "\(reloaded.output)")
        }
        // The replaced notifiers' threads end as their evaluation tasks do.
        _ = try await poll("the replaced notifiers' threads to end", deadline: .seconds(30), context: { "\(alertmanagerThreads())" }) {
            alertmanagerThreads() == 1 ? true : nil
        }
        #expect(try await daemon.terminate() == 0)
    }

    /// Reloads of the test above.
    static let reloads = 20
}
