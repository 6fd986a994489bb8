import Foundation
import Testing

/// `memoryd pause` and `resume` with the real binary: a paused job's tasks wait while others run, the
/// pause outlives a restart, and a resume lets them go on.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PauseEndToEndTests {
    var memoryd: String { DaemonProcess.binary.path }

    func tasks(of job: String, in state: String, socket: String) async throws -> [[String: Any]] {
        let answer = try await curl("GET", "/v1/tasks?state=\(state)", at: .socket(socket))
        return ((answer.json["tasks"] as? [[String: Any]]) ?? []).filter { $0["job"] as? String == job }
    }

    /// Runs `other` to completion, so a worker was free while the paused job's task stayed pending.
    func runOther(_ daemon: DaemonProcess) async throws {
        let id = try #require(
            try await curl("POST", "/v1/tasks", at: .socket(daemon.socketPath), body: #"{"job": "other"}"#)
                .json["id"] as? String)
        _ = try await poll("the other job to finish", deadline: .seconds(30)) {
            let task = try await curl("GET", "/v1/tasks/\(id)", at: .socket(daemon.socketPath)).json
            return task["state"] as? String == "succeeded" ? true : nil
        }
    }

    @Test func aPausedJobsTasksWaitAcrossARestartUntilResumed() async throws {
        let directory = try makeTemporaryDirectory("pause")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig(
            """
            [daemon]
            workers = 2
            [jobs.held]
            command = ["true"]
            [jobs.other]
            command = ["true"]
            """, in: directory)
        let first = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await first.waitForPort()
        let paused = try await runTool(memoryd, ["pause", "held", "--socket", first.socketPath])
        #expect(paused.status == 0 && paused.output.contains("held: paused"), "\(paused.output)")
        let unknown = try await runTool(memoryd, ["pause", "helt", "--socket", first.socketPath])
        #expect(unknown.status != 0 && unknown.output.contains("did you mean 'held'?"), "\(unknown.output)")
        #expect(try await curl("POST", "/v1/tasks", at: .socket(first.socketPath), body: #"{"job": "held"}"#).status == 201)
        try await runOther(first)
        #expect(try await tasks(of: "held", in: "pending", socket: first.socketPath).count == 1)
        #expect(try await first.terminate() == 0)

        let second = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await second.waitForPort()
        try await runOther(second)
        #expect(
            try await tasks(of: "held", in: "pending", socket: second.socketPath).count == 1,
            "the pause and the waiting task outlive the restart")
        let resumed = try await runTool(memoryd, ["resume", "held", "--socket", second.socketPath])
        #expect(resumed.status == 0 && resumed.output.contains("held: resumed"), "\(resumed.output)")
        _ = try await poll("the held task to run once resumed", deadline: .seconds(30)) {
            try await tasks(of: "held", in: "succeeded", socket: second.socketPath).count == 1 ? true : nil
        }
        #expect(try await second.terminate() == 0)
    }
}
