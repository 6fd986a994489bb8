import Foundation
import Testing

/// `/v1/tasks` against the real daemon: submit, inspect, cancel, and every refusal.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct TasksAPIEndToEndTests {
    struct Fixture {
        let daemon: DaemonProcess
        let port: Int
        let pidFile: String
        let config: URL

        init() async throws {
            pidFile =
                FileManager.default.temporaryDirectory.appendingPathComponent("slow-\(UUID().uuidString).pid").path
            config = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString).toml")
            try """
            [jobs.greet]
            command = ["sh", "-c", "echo hello $MEMORYD_PARAM_NAME"]

            [jobs.slow]
            command = ["sh", "-c", "echo $$ > \(pidFile); exec sleep 600"]
            unique = "params"

            [jobs.nightly]
            command = ["true"]
            schedule = "30 2 * * *"
            timezone = "Europe/Berlin"
            jitter = "5m"
            """.write(to: config, atomically: true, encoding: .utf8)
            daemon = try DaemonProcess(arguments: ["--config", config.path])
            port = try await daemon.waitForPort()
        }

        /// curl on the Unix socket (or TCP), returning the JSON body and the status code.
        func call(_ method: String, _ path: String, body: String? = nil, tcp: Bool = false, as user: String? = nil)
            async throws -> (status: Int, json: [String: Any])
        {
            let answer = try await curl(
                method, path, at: tcp ? .tcp(port: port) : .socket(daemon.socketPath), body: body, as: user)
            return (answer.status, answer.json)
        }

        func state(of id: String) async throws -> String? {
            try await call("GET", "/v1/tasks/\(id)").json["state"] as? String
        }
    }

    @Test func aBatchFromStandardInputStartsEachRunAndAnswersEachLineInOrder() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.config) }
        let memoryd = DaemonProcess.binary.path
        let socket = ["--socket", fixture.daemon.socketPath]
        let lines = [
            #"{"job": "greet", "params": {"name": "a"}}"#, "",
            #"{"job": "slow", "params": {"n": "1"}}"#, #"{"job": "slow", "params": {"n": "1"}}"#,
        ]
        let batch = try await runTool(
            memoryd, ["submit", "--batch", "--batch-size", "2"] + socket,
            input: Data(lines.joined(separator: "\n").utf8))
        // The second slow is an equal run of a unique job: refused alone, so the command exits 1.
        #expect(batch.status == 1)
        let answers = batch.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(answers.map { $0["status"] as? Int } == [201, 201, 409])
        let greet = try #require(answers.first?["id"] as? String)
        _ = try await poll("the batch's task to succeed", deadline: .seconds(30)) {
            try await fixture.state(of: greet) == "succeeded" ? true : nil
        }
        #expect(((answers[2]["error"] as? [String: Any])?["run"] as? String) == answers[1]["run"] as? String)

        // A malformed line refuses its whole request, and names the line of the input.
        func greets() async throws -> Int {
            let tasks = try await fixture.call("GET", "/v1/tasks").json["tasks"] as? [[String: Any]] ?? []
            return tasks.filter { $0["job"] as? String == "greet" }.count
        }
        let before = try await greets()
        let refused = try await runTool(
            memoryd, ["submit", "--batch"] + socket, input: Data("{\"job\": \"greet\"}\nnot json\n".utf8))
        #expect(refused.status == 1)
        #expect(refused.output.contains("input line 2:"))
        #expect(try await greets() == before)
        let unknown = try await fixture.call(
            "POST", "/v1/tasks:batch", body: "{\"job\": \"greet\"}\n{\"job\": \"nope\"}")
        #expect(unknown.status == 404)
        #expect((unknown.json["error"] as? [String: Any])?["line"] as? Int == 2)
    }

    /// `memoryd submit JOB` in its plain forms skips the full argument parse (FastPath); any other form
    /// takes it. Both must start the same run.
    @Test func theCLIsPlainSubmitAndItsFullParseStartTheSameRun() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.config) }
        let memoryd = DaemonProcess.binary.path
        let socket = fixture.daemon.socketPath
        let plain = try await runTool(memoryd, ["submit", "--socket", socket, "greet", "--param", "name=plain"])
        // `--` is not a plain form: ArgumentParser reads this one.
        let parsed = try await runTool(memoryd, ["submit", "--socket=\(socket)", "--param=name=parsed", "--", "greet"])
        let json = try await runTool(memoryd, ["submit", "--socket", socket, "--json", "greet", "--param=name=json"])
        #expect([plain.status, parsed.status, json.status] == [0, 0, 0])
        let answer = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let ids =
            [plain.output, parsed.output].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            + [answer?["id"] as? String ?? ""]
        #expect(Set(ids).count == 3 && ids.allSatisfy { $0.hasPrefix("t") })
        for id in ids {
            _ = try await poll("task \(id) to succeed", deadline: .seconds(30)) {
                try await fixture.state(of: id) == "succeeded" ? true : nil
            }
        }
        let said = try await curl("GET", "/v1/events?follow=false&kind=log&job=greet", at: .socket(socket))
        for name in ["plain", "parsed", "json"] { #expect(said.body.contains("hello \(name)")) }
        // A malformed parameter is refused by the full parse, with its usage error.
        let refused = try await runTool(memoryd, ["submit", "--socket", socket, "greet", "--param", "name"])
        #expect(refused.status == 64)
        #expect(refused.output.contains("--param takes KEY=VALUE"))
        #expect(try await fixture.daemon.terminate() == 0)
    }

    @Test func aSubmittedJobRunsWithItsParametersAndCanBeInspected() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.config) }
        let submitted = try await fixture.call(
            "POST", "/v1/tasks", body: #"{"job": "greet", "params": {"name": "ops"}}"#)
        #expect(submitted.status == 201)
        let id = try #require(submitted.json["id"] as? String)
        #expect((submitted.json["run"] as? String)?.hasPrefix("run-") == true)
        _ = try await poll("the task to succeed", deadline: .seconds(30)) {
            try await fixture.state(of: id) == "succeeded" ? true : nil
        }
        let task = try await fixture.call("GET", "/v1/tasks/\(id)").json
        #expect(task["job"] as? String == "greet")
        #expect(task["attempt"] as? Int == 1)
        let listed = try await fixture.call("GET", "/v1/tasks?state=succeeded").json["tasks"] as? [[String: Any]]
        #expect(listed?.contains { $0["id"] as? String == id } == true)
        let said = try await runTool(
            "curl",
            [
                "-sS", "--unix-socket", fixture.daemon.socketPath,
                "http://localhost/v1/events?follow=false&kind=log&job=greet",
            ])
        #expect(said.output.contains("hello ops"))
        #expect(try await fixture.daemon.terminate() == 0)
    }

    @Test func cancellingARunningJobStopsItsProcess() async throws {
        let fixture = try await Fixture()
        defer {
            try? FileManager.default.removeItem(at: fixture.config)
            try? FileManager.default.removeItem(atPath: fixture.pidFile)
        }
        let id = try await #require(
            try fixture.call("POST", "/v1/tasks", body: #"{"job": "slow"}"#).json["id"] as? String)
        let pid = try await poll("the job's process", deadline: .seconds(30)) {
            (try? String(contentsOfFile: fixture.pidFile, encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let cancelled = try await fixture.call("DELETE", "/v1/tasks/\(id)")
        #expect(cancelled.status == 202)
        _ = try await poll("the task to be cancelled", deadline: .seconds(30)) {
            try await fixture.state(of: id) == "cancelled" ? true : nil
        }
        _ = try await poll("the process to be gone", deadline: .seconds(30)) { kill(pid, 0) != 0 ? true : nil }
        let again = try await fixture.call("DELETE", "/v1/tasks/\(id)")
        #expect(again.status == 409)
        #expect(try await fixture.daemon.terminate() == 0)
    }

    @Test func refusalsAreJSONErrorsWithTheRightStatus() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.config) }
        let cases: [(String, String, String?, Bool, Int, String)] = [
            ("POST", "/v1/tasks", #"{"job": "greet"}"#, true, 403, "forbidden"),
            ("POST", "/v1/tasks", "{not json", false, 400, "bad_request"),
            ("POST", "/v1/tasks", #"{"params": {}}"#, false, 400, "bad_request"),
            ("POST", "/v1/tasks", #"{"job": "ghost"}"#, false, 404, "unknown_job"),
            ("GET", "/v1/tasks/t999999", nil, false, 404, "unknown_task"),
            ("GET", "/v1/tasks/abc", nil, false, 400, "bad_request"),
            ("DELETE", "/v1/tasks/t999999", nil, false, 404, "unknown_task"),
            ("PUT", "/v1/tasks", nil, false, 405, "method_not_allowed"),
            ("GET", "/v1/tasks?state=sleeping", nil, false, 400, "bad_request"),
        ]
        for (method, path, body, tcp, status, code) in cases {
            let answer = try await fixture.call(method, path, body: body, tcp: tcp)
            #expect(answer.status == status, "\(method) \(path)")
            #expect((answer.json["error"] as? [String: Any])?["code"] as? String == code, "\(method) \(path)")
        }

        // A body over the 1 MiB limit is refused whole, and the daemon carries on.
        let huge = #"{"job": "greet", "params": {"pad": ""# + String(repeating: "x", count: 1_100_000) + #""}}"#
        let bodyFile = fixture.daemon.directory.appendingPathComponent("huge.json")
        try huge.write(to: bodyFile, atomically: true, encoding: .utf8)
        let tooLarge = try await runTool(
            "curl",
            [
                "-sS", "-w", "\n%{http_code}", "--unix-socket", fixture.daemon.socketPath, "-X", "POST",
                "--data-binary", "@" + bodyFile.path, "http://localhost/v1/tasks",
            ])
        #expect(tooLarge.output.hasSuffix("\n413"))
        #expect(tooLarge.output.contains(#""code":"payload_too_large""#))
        await #expect(try fixture.call("GET", "/v1/tasks").status == 200)

        // JSON nested deeper than any decoder allows is a 400, not a crash of a connection thread's stack.
        let depth = 50_000  // 100 KB: under the 128 KiB limit of one curl argument
        let nested =
            #"{"job": "greet", "extra": "# + String(repeating: "[", count: depth)
            + String(repeating: "]", count: depth) + "}"
        await #expect(try fixture.call("POST", "/v1/tasks", body: nested).status == 400)
        await #expect(try fixture.call("GET", "/v1/tasks").status == 200)

        // Another user who can reach the socket is still refused, by its uid.
        chmod(fixture.daemon.socketPath, 0o666)
        chmod(fixture.daemon.directory.path, 0o755)
        let stranger = try await fixture.call("POST", "/v1/tasks", body: #"{"job": "greet"}"#, as: "nobody")
        #expect(stranger.status == 403)
        #expect(((stranger.json["error"] as? [String: Any])?["message"] as? String)?.contains("uid 65534") == true)
        #expect(try await fixture.daemon.terminate() == 0)
    }

    @Test func theCommandLineListsSchedulesInTheirOwnZone() async throws {
        let fixture = try await Fixture()
        defer {
            try? FileManager.default.removeItem(at: fixture.config)
            try? FileManager.default.removeItem(atPath: fixture.pidFile)
        }
        let listed = try await runTool(
            DaemonProcess.binary.path, ["schedules", "--socket", fixture.daemon.socketPath])
        #expect(listed.status == 0, "\(listed.output)")
        let lines = listed.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("JOB") == true)
        let nightly = try #require(lines.first { $0.hasPrefix("nightly") })
        // 02:30 in Berlin, whatever the machine's zone.
        #expect(nightly.contains("30 2 * * *") && nightly.contains("Europe/Berlin") && nightly.contains(" 02:30 (in "))
        #expect(try await fixture.daemon.terminate() == 0)
    }

    @Test func theCommandLineSubmitsListsAndCancels() async throws {
        let fixture = try await Fixture()
        defer {
            try? FileManager.default.removeItem(at: fixture.config)
            try? FileManager.default.removeItem(atPath: fixture.pidFile)
        }
        let memoryd = DaemonProcess.binary.path
        let socket = ["--socket", fixture.daemon.socketPath]
        let submitted = try await runTool(memoryd, ["submit", "slow"] + socket)
        #expect(submitted.status == 0)
        let id = submitted.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("t"))
        _ = try await poll("the task to run", deadline: .seconds(30)) {
            try await fixture.state(of: id) == "running" ? true : nil
        }
        let listed = try await runTool(memoryd, ["tasks", "--state", "running"] + socket)
        #expect(listed.output.contains(id) && listed.output.contains("slow"))
        let cancelled = try await runTool(memoryd, ["cancel", id] + socket)
        #expect(cancelled.status == 0)
        _ = try await poll("the task to be cancelled", deadline: .seconds(30)) {
            try await fixture.state(of: id) == "cancelled" ? true : nil
        }

        let unknown = try await runTool(memoryd, ["submit", "ghost"] + socket)
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("no job named 'ghost'"))
        #expect(unknown.output.contains("(HTTP 404)"))
        let badParam = try await runTool(memoryd, ["submit", "greet", "--param", "novalue"] + socket)
        #expect(badParam.status != 0)
        #expect(badParam.output.contains("--param takes KEY=VALUE"))
        #expect(try await fixture.daemon.terminate() == 0)
    }
}
