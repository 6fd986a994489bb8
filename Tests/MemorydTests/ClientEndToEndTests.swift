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
        for command in [["status"], ["events"]] {
            let result = try await runTool(memoryd, command + ["--socket", missing.path])
            #expect(result.status != 0)
            #expect(result.output.contains("no memoryd answers on \(missing.path)"))
            #expect(result.output.contains("memoryd run"))
        }
    }
}
