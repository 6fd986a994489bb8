import Foundation
import Testing

/// The daemon's own alerts against the real binary: a task that goes silent is stuck while one that
/// reports progress is not, a job that has not succeeded for its watchdog's max_age is stale (counted from
/// its last success in the queue, across a restart), a job's health_check answers ok, warning and
/// critical through /readyz, `memoryd health` and a HealthCheckFailed alert, and notify_command runs on
/// each alert that fires or resolves.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HealthEndToEndTests {
    static let deadline: Duration = .seconds(30)

    static func config(directory: URL) -> String {
        """
        [jobs.silent]
        command = ["sleep", "60"]
        stuck_after = "2s"

        [jobs.chatty]
        command = ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do echo tick $i; sleep 0.25; done"]
        stuck_after = "2s"

        [jobs.probe]
        command = ["true"]
        env = { PROBE = "\(directory.path)/probe" }
        health_check = ["sh", "-c", "cat \\"$PROBE.message\\"; exit \\"$(cat \\"$PROBE.code\\")\\""]

        [jobs.fresh]
        command = ["true"]

        [health]
        evaluation_interval = "1s"
        check_interval = "1s"
        notify_command = ["sh", "-c", "echo \\"$MEMORYD_ALERT_NAME $MEMORYD_ALERT_STATE $MEMORYD_ALERT_SEVERITY\\" >> '\(directory.path)/hook.log'"]

        [[health.watchdogs]]
        name = "fresh-pipeline"
        job = "fresh"
        max_age = "3s"
        """
    }

    struct Fixture {
        let directory: URL
        let daemon: DaemonProcess
        let port: Int
        var socket: [String] { ["--socket", daemon.socketPath] }
        let memoryd = DaemonProcess.binary.path

        func alerts() async throws -> [[String: Any]] {
            let text = try await runTool(memoryd, ["alerts", "--json"] + socket).output
            let document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            return document?["alerts"] as? [[String: Any]] ?? []
        }

        /// The firing alert named `name` whose labels include `labels`, once there is one.
        func firing(_ name: String, _ labels: [String: String]) async throws -> [String: Any] {
            try await poll("\(name) \(labels) firing", deadline: HealthEndToEndTests.deadline) {
                try await alerts().first { alert in
                    let have = alert["labels"] as? [String: String] ?? [:]
                    return alert["state"] as? String == "firing" && have["alertname"] == name
                        && labels.allSatisfy { have[$0.key] == $0.value }
                }
            }
        }

        func get(_ path: String) async throws -> (status: Int, body: [String: Any]) {
            let text = try await runTool("curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
                .output
            let status = Int(text.split(separator: "\n").last ?? "") ?? 0
            let body = String(text[..<(text.lastIndex(of: "\n") ?? text.startIndex)])
            return (status, try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:])
        }

        /// What the probe job's health check prints and exits with.
        static func setProbe(in directory: URL, code: Int, message: String) throws {
            try message.write(to: directory.appendingPathComponent("probe.message"), atomically: true, encoding: .utf8)
            try "\(code)".write(to: directory.appendingPathComponent("probe.code"), atomically: true, encoding: .utf8)
        }

        func setProbe(code: Int, message: String) throws {
            try Self.setProbe(in: directory, code: code, message: message)
        }

        func submit(_ job: String) async throws -> String {
            let result = try await runTool(memoryd, ["submit", job] + socket)
            #expect(result.status == 0, "\(result.output)")
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    func start(in given: URL? = nil) async throws -> Fixture {
        let directory =
            given ?? FileManager.default.temporaryDirectory.appendingPathComponent("health-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configPath = directory.appendingPathComponent("memoryd.toml")
        try Self.config(directory: directory).write(to: configPath, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(directory: directory, arguments: ["--config", configPath.path])
        return Fixture(directory: directory, daemon: daemon, port: try await daemon.waitForPort())
    }

    @Test func aSilentTaskIsStuckButOneReportingProgressIsNot() async throws {
        let fixture = try await start()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let silent = try await fixture.submit("silent")
        let chatty = try await fixture.submit("chatty")

        let stuck = try await fixture.firing("TaskStuck", ["task": silent, "job_type": "silent"])
        #expect((stuck["labels"] as? [String: String])?["severity"] == "warning")
        let stuckSummary = (stuck["annotations"] as? [String: String])?["summary"] ?? ""
        #expect(stuckSummary.hasPrefix("task \(silent) (silent) has reported nothing for"), "\(stuckSummary)")

        // chatty ran 3.5 s, longer than its stuck_after, but printed a line every 0.25 s.
        _ = try await poll("chatty to succeed", deadline: Self.deadline) { () -> Bool? in
            try await fixture.task(chatty)["state"] as? String == "succeeded" ? true : nil
        }
        let pending = try await runTool(
            fixture.memoryd, ["events", "--kind", "alert_pending", "--json"] + fixture.socket)
        #expect(pending.output.contains(#""task":"\#(silent)""#), "\(pending.output)")
        #expect(!pending.output.contains(#""task":"\#(chatty)""#), "\(pending.output)")

        // Cancelled, the silent task is gone and so is its alert.
        #expect(try await runTool(fixture.memoryd, ["cancel", silent] + fixture.socket).status == 0)
        _ = try await poll("TaskStuck to resolve", deadline: Self.deadline) { () -> Bool? in
            try await fixture.alerts().contains { ($0["labels"] as? [String: String])?["alertname"] == "TaskStuck" }
                ? nil : true
        }
        #expect(try await fixture.daemon.terminate() == 0)
    }

    @Test func aJobWithoutARecentSuccessIsStaleCountedFromItsLastSuccessAcrossARestart() async throws {
        var fixture = try await start()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        // fresh has never succeeded: 3 s after the start its watchdog is overdue.
        let stale = try await fixture.firing("WatchdogExpired", ["watchdog": "fresh-pipeline", "job_type": "fresh"])
        let staleSummary = (stale["annotations"] as? [String: String])?["summary"] ?? ""
        #expect(staleSummary.hasPrefix("watchdog fresh-pipeline missed its deadline by"), "\(staleSummary)")
        let id = try await fixture.submit("fresh")
        _ = try await poll("fresh to succeed", deadline: Self.deadline) { () -> Bool? in
            try await fixture.task(id)["state"] as? String == "succeeded" ? true : nil
        }
        let resolved = try await poll("WatchdogExpired resolved", deadline: Self.deadline) { () -> String? in
            let events = try await runTool(
                fixture.memoryd, ["events", "--kind", "alert_resolved", "--json"] + fixture.socket)
            return events.output.contains(#""watchdog":"fresh-pipeline""#) ? events.output : nil
        }
        #expect(resolved.contains("WatchdogExpired resolved"))
        let succeeded = try await runTool(
            fixture.memoryd, ["events", "--job", "fresh", "--kind", "succeeded", "--json"] + fixture.socket)
        let event = try #require(
            succeeded.output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.first)
        let finished = try #require(event["time"] as? String)
        let succeededAt = try #require(ISO8601DateFormatter.withFractions.date(from: finished))
        // The hook ran for the firing and for the resolution.
        let hook = try await poll("the hook's two lines", deadline: Self.deadline) { () -> String? in
            let log =
                (try? String(contentsOf: fixture.directory.appendingPathComponent("hook.log"), encoding: .utf8)) ?? ""
            return log.contains("WatchdogExpired firing warning\n")
                && log.contains("WatchdogExpired resolved warning\n")
                ? log : nil
        }
        let watchdogLines = hook.split(separator: "\n").filter { $0.hasPrefix("WatchdogExpired") }
        #expect(
            watchdogLines.prefix(2) == ["WatchdogExpired firing warning", "WatchdogExpired resolved warning"], "\(hook)"
        )
        #expect(try await fixture.daemon.terminate() == 0)
        // Let a second pass, so a watchdog counting from the restart would be told apart.
        _ = try await poll("a second since the success", deadline: Self.deadline) {
            Date().timeIntervalSince(succeededAt) > 1 ? true : nil
        }

        // After a restart the watchdog counts from that success, not from the new start.
        let configPath = fixture.directory.appendingPathComponent("memoryd.toml").path
        let restarted = try DaemonProcess(directory: fixture.directory, arguments: ["--config", configPath])
        fixture = Fixture(directory: fixture.directory, daemon: restarted, port: try await restarted.waitForPort())
        let metrics = try await runTool("curl", ["-s", "http://127.0.0.1:\(fixture.port)/metrics"]).output
        let line = try #require(
            metrics.split(separator: "\n").first {
                $0.hasPrefix(#"jobkit_watchdog_last_pet_timestamp_seconds{watchdog="fresh-pipeline"}"#)
            })
        let lastPet = try #require(Double(line.split(separator: " ").last ?? ""))
        #expect(abs(lastPet - succeededAt.timeIntervalSince1970) < 0.01, "\(line) vs \(finished)")
        #expect(metrics.contains(#"jobkit_watchdog_timeout_seconds{watchdog="fresh-pipeline"} 3"#))
        #expect(try await restarted.terminate() == 0)
    }

    @Test func aHealthCheckAnswersThroughReadyzTheCommandLineAndAnAlert() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("health-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Fixture.setProbe(in: directory, code: 0, message: "all good")
        let fixture = try await start(in: directory)
        defer { try? FileManager.default.removeItem(at: fixture.directory) }

        let healthz = try await fixture.get("/healthz")
        #expect(healthz.status == 200)
        #expect(
            (healthz.body["checks"] as? [[String: String]])?.map { $0["name"] ?? "" } == ["scheduler", "evaluation"])

        func probeCheck() async throws -> (status: Int, overall: String?, check: [String: String]?) {
            let ready = try await fixture.get("/readyz")
            let check = (ready.body["checks"] as? [[String: String]])?.first { $0["name"] == "check:probe" }
            return (ready.status, ready.body["status"] as? String, check)
        }
        _ = try await poll("check:probe ok", deadline: Self.deadline) { () -> Bool? in
            try await probeCheck().check == ["name": "check:probe", "status": "ok", "message": "all good"] ? true : nil
        }
        #expect(try await runTool(fixture.memoryd, ["health"] + fixture.socket).status == 0)

        try fixture.setProbe(code: 1, message: "disk 91% full")
        _ = try await poll("check:probe warning", deadline: Self.deadline) { () -> Bool? in
            let probe = try await probeCheck()
            return probe.status == 200 && probe.overall == "warning" && probe.check?["message"] == "disk 91% full"
                ? true : nil
        }
        let warning = try await runTool(fixture.memoryd, ["health"] + fixture.socket)
        #expect(warning.status == 1, "\(warning.output)")
        #expect(warning.output.contains("check:probe") && warning.output.contains("disk 91% full"))
        let alert = try await fixture.firing(
            "HealthCheckFailed", ["check": "probe", "job_type": "probe", "severity": "warning"])
        #expect(
            alert["annotations"] as? [String: String]
                == ["summary": "health check probe is warning", "message": "disk 91% full"])

        try fixture.setProbe(code: 2, message: "database unreachable")
        _ = try await poll("check:probe critical", deadline: Self.deadline) { () -> Bool? in
            try await probeCheck().status == 503 ? true : nil
        }
        #expect(try await runTool(fixture.memoryd, ["health"] + fixture.socket).status == 2)
        let metrics = try await runTool("curl", ["-s", "http://127.0.0.1:\(fixture.port)/metrics"]).output
        #expect(metrics.contains(#"jobkit_health_check_status{check="probe",status="critical"} 1"#))
        #expect(metrics.contains(#"jobkit_health_check_status{check="probe",status="ok"} 0"#))
        #expect(try await fixture.daemon.terminate() == 0)
    }
}

extension HealthEndToEndTests.Fixture {
    /// `GET /v1/tasks/{id}` over the socket.
    func task(_ id: String) async throws -> [String: Any] {
        let text = try await runTool(
            "curl", ["-s", "--unix-socket", daemon.socketPath, "http://localhost/v1/tasks/\(id)"]
        ).output
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

extension ISO8601DateFormatter {
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
