import Foundation
import Testing

/// The CLI's client commands against the real daemon, over its Unix socket.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClientEndToEndTests {
    var memoryd: String { DaemonProcess.binary.path }

    @Test func statusAndEventsReadTheRunningDaemonAndStatusOfflineReadsTheFileAfterwards() async throws {
        let daemon = try DaemonProcess()
        _ = try await daemon.waitForPort()
        let socket = ["--socket", daemon.socketPath]

        let events = try await poll("a finished housekeeping task", deadline: .seconds(30)) {
            let result = try await runTool(memoryd, ["events", "--kind", "succeeded"] + socket)
            return result.output.contains("succeeded housekeeping status-snapshot") ? result : nil
        }
        #expect(events.status == 0)
        let first = try #require(events.output.split(separator: "\n").first)
        #expect(first.hasPrefix("#"))

        let json = try await runTool(memoryd, ["events", "--json", "--job", "housekeeping"] + socket)
        let objects = json.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(!objects.isEmpty && objects.allSatisfy { $0["job"] as? String == "housekeeping" })

        let human = try await runTool(memoryd, ["status"] + socket)
        #expect(human.status == 0)
        #expect(human.output.hasPrefix("memoryd pid \(daemon.process.processIdentifier), up "))
        #expect(human.output.contains("housekeeping"))

        let status = try await runTool(memoryd, ["status", "--json"] + socket)
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        #expect(snapshot["pid"] as? Int == Int(daemon.process.processIdentifier))

        #expect(try await daemon.terminate() == 0)
        let offline = try await runTool(memoryd, ["status", "--offline", "--state-dir", daemon.stateDirectory])
        #expect(offline.status == 0)
        #expect(offline.output.contains("read from the status file"))
    }

    @Test func withoutADaemonClientsSaySoAndHowToStartOne() async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID().uuidString).sock")
        // Port 1 on loopback: nothing listens there, so the TCP fallback is refused too.
        for command in [["status"], ["events"]] {
            let result = try await runTool(memoryd, command + ["--socket", missing.path, "--http", "127.0.0.1:1"])
            #expect(result.status != 0)
            #expect(result.output.contains("no memoryd answers on \(missing.path)"))
            #expect(result.output.contains("memoryd run"))
            #expect(result.output.contains("no memoryd answers on 127.0.0.1:1 either"))
        }
    }

    @Test func readsFallBackToTCPWithTheTokenAndChangesDoNot() async throws {
        let directory = try makeTemporaryDirectory("client-tcp")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig("[daemon]\ntoken = \"s3cret\"\n\n[jobs.hello]\ncommand = [\"true\"]\n", in: directory)
        let daemon = try DaemonProcess(arguments: ["--config", config.path])
        let port = try await daemon.waitForPort()
        let elsewhere = ["--socket", directory.appendingPathComponent("absent.sock").path, "--http", "127.0.0.1:\(port)"]

        let status = try await runTool("env", ["MEMORYD_TOKEN=s3cret", memoryd, "status"] + elsewhere)
        #expect(status.status == 0, "\(status.output)")
        #expect(status.output.hasPrefix("memoryd pid \(daemon.process.processIdentifier), up "))
        let tasks = try await runTool("env", ["MEMORYD_TOKEN=s3cret", memoryd, "tasks"] + elsewhere)
        #expect(tasks.status == 0, "\(tasks.output)")

        // Without the token the daemon's refusal is shown as it is.
        let refused = try await runTool("env", ["MEMORYD_TOKEN=", memoryd, "status"] + elsewhere)
        #expect(refused.status != 0)
        #expect(refused.output.contains("Authorization: Bearer TOKEN"), "\(refused.output)")
        #expect(refused.output.contains("HTTP 401"))

        // A change is never sent to whatever answers on TCP.
        let submit = try await runTool("env", ["MEMORYD_TOKEN=s3cret", memoryd, "submit", "hello"] + elsewhere)
        #expect(submit.status != 0)
        #expect(submit.output.contains("absent.sock"))
        #expect(try await daemon.terminate() == 0)
    }
}
