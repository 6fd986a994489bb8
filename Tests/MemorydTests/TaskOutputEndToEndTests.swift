import Foundation
import Testing

/// A task's output and its id are kept in the queue: `memoryd logs` and `GET /v1/tasks/{id}/log` answer
/// after `kill -9` and a restart, an id names one task across restarts, and `/v1/events` filters by it.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TaskOutputEndToEndTests {
    var memoryd: String { DaemonProcess.binary.path }

    @Test func aFailedCommandsStderrIsReadByItsIdAfterKillNineAndARestart() async throws {
        let directory = try makeTemporaryDirectory("task-output")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig(
            """
            [daemon]
            workers = 1
            shutdown_grace = "1s"
            # Room for the first and the last of the noisy job's lines, not for all of them.
            task_output_bytes = 200

            [jobs.broken]
            command = ["sh", "-c", "echo starting; echo 'cannot open /data/input: No such file' >&2; exit 3"]

            [jobs.noisy]
            command = ["sh", "-c", "i=1; while [ $i -le 100 ]; do echo line-$i; i=$((i+1)); done"]

            [jobs.park]
            command = ["sleep", "600"]
            """, in: directory)
        let first = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await first.waitForPort()
        let socket = ["--socket", first.socketPath]
        let broken = try await submit("broken", socket)
        let noisy = try await submit("noisy", socket)
        for id in [broken, noisy] {
            _ = try await poll("\(id) to finish", deadline: .seconds(30)) {
                let shown = try await curl("GET", "/v1/tasks/\(id)", at: .socket(first.socketPath))
                return shown.json["finishedAt"] != nil ? true : nil
            }
        }
        // One task left running and one queued behind it when the daemon dies.
        let parked = try await submit("park", socket)
        let queued = try await submit("broken", socket)
        _ = try await poll("\(parked) to run", deadline: .seconds(30)) {
            let shown = try await curl("GET", "/v1/tasks/\(parked)", at: .socket(first.socketPath))
            return shown.json["state"] as? String == "running" ? true : nil
        }
        // What the event writer has recorded by now: the output lines reach the queue off the task's path.
        _ = try await poll("the output to reach the queue", deadline: .seconds(30)) {
            let logs = try await runTool(memoryd, ["logs", broken] + socket)
            return logs.output.contains("cannot open") ? true : nil
        }
        kill(first.process.processIdentifier, SIGKILL)
        try await first.waitUntil("the daemon to die") { !first.process.isRunning }

        let second = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await second.waitForPort()
        let again = ["--socket", second.socketPath]
        let logs = try await runTool(memoryd, ["logs", broken] + again)
        #expect(logs.status == 0, "\(logs.output)")
        #expect(logs.output == "--- attempt 1\nstarting\ncannot open /data/input: No such file\n")
        let only = try await runTool(memoryd, ["logs", broken, "--attempt", "1"] + again)
        #expect(only.output == "starting\ncannot open /data/input: No such file\n")

        let answer = try await curl("GET", "/v1/tasks/\(broken)/log", at: .socket(second.socketPath))
        #expect(answer.status == 200)
        let lines = answer.body.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.map { $0["stream"] as? String } == ["stdout", "stderr"])
        #expect(lines.map { $0["line"] as? Int } == [1, 2])
        #expect(lines.allSatisfy { $0["attempt"] as? Int == 1 && $0["time"] is String })

        // The bound kept the first and the last lines and says how many went between them.
        let noise = try await runTool(memoryd, ["logs", noisy, "--attempt", "1"] + again)
        let kept = noise.output.split(separator: "\n").map(String.init)
        #expect(kept.first == "line-1")
        #expect(kept.last == "line-100")
        let gap = try #require(kept.firstIndex { $0.hasPrefix("… ") })
        let dropped = try #require(Int(kept[gap].dropFirst(2).prefix { $0.isNumber }))
        #expect(kept.count - 1 + dropped == 100, "\(kept)")
        #expect(kept[..<gap] == ArraySlice((1...gap).map { "line-\($0)" }))

        // Ids name the same tasks after the restart, and new ones come after every earlier one.
        let resumed = try await curl("GET", "/v1/tasks/\(queued)", at: .socket(second.socketPath))
        #expect(resumed.status == 200)
        #expect(resumed.json["job"] as? String == "broken")
        let parkedAgain = try await curl("GET", "/v1/tasks/\(parked)", at: .socket(second.socketPath))
        #expect(parkedAgain.json["job"] as? String == "park")
        let fresh = try await submit("broken", again)
        let number = { (id: String) in Int(id.dropFirst()) ?? 0 }
        #expect([broken, noisy, parked, queued].allSatisfy { number($0) < number(fresh) })

        // The events of one task or one run, from before the restart (the log) too.
        let ofTask = try await curl(
            "GET", "/v1/events?follow=false&since=0&task=\(broken)", at: .socket(second.socketPath))
        let taskEvents = ofTask.body.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(!taskEvents.isEmpty && taskEvents.allSatisfy { $0["task"] as? String == broken })
        #expect(taskEvents.contains { $0["kind"] as? String == "failed" })
        let run = try #require(taskEvents.first?["run"] as? String)
        let ofRun = try await curl("GET", "/v1/events?follow=false&since=0&run=\(run)", at: .socket(second.socketPath))
        #expect(ofRun.body.split(separator: "\n").count == taskEvents.count)
        let cli = try await runTool(memoryd, ["events", "--since", "0", "--task", broken, "--json"] + again)
        #expect(cli.output.split(separator: "\n").count == taskEvents.count)
        let badTask = try await curl("GET", "/v1/events?follow=false&task=x1", at: .socket(second.socketPath))
        #expect(badTask.status == 400 && badTask.body.contains("task takes ids like t42"))

        let unknown = try await runTool(memoryd, ["logs", "t999999"] + again)
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("no task t999999 in the queue"))
        let bad = try await curl("GET", "/v1/tasks/\(broken)/log?attempt=0", at: .socket(second.socketPath))
        #expect(bad.status == 400)
        #expect(try await second.terminate() == 0)
    }

    private func submit(_ job: String, _ socket: [String]) async throws -> String {
        let result = try await runTool(memoryd, ["submit", job] + socket)
        #expect(result.status == 0, "\(result.output)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
