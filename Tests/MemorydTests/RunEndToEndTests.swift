import Foundation
import Testing

/// `memoryd run` as users run it: the real binary, real sockets, curl and promtool.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RunEndToEndTests {
    @Test func servesMetricsThatPromtoolAcceptsOnTCPAndTheSocketThenStopsCleanly() async throws {
        let daemon = try DaemonProcess()
        let port = try await daemon.waitForPort()

        let text = try await runTool("curl", ["-sS", "-D", "-", "http://127.0.0.1:\(port)/metrics"])
        #expect(text.status == 0)
        #expect(text.output.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        #expect(text.output.contains("# TYPE jobkit_tasks_total counter"))
        #expect(text.output.contains("\nprocess_resident_memory_bytes "))
        #expect(text.output.contains("\nprocess_start_time_seconds "))
        #expect(
            text.output.contains("jobkit_workers{state=\"idle\"}")
                || text.output.contains("jobkit_workers{state=\"busy\"}"))

        let body = try await runTool("curl", ["-sS", "http://127.0.0.1:\(port)/metrics"])
        let lint = try await runTool("promtool", ["check", "metrics"], input: Data(body.output.utf8))
        #expect(lint.status == 0)
        #expect(lint.output.isEmpty, "promtool check metrics: \(lint.output)")

        let open = try await runTool(
            "curl",
            [
                "-sS", "-H", "Accept: application/openmetrics-text; version=1.0.0", "--unix-socket", daemon.socketPath,
                "http://localhost/metrics",
            ])
        #expect(open.output.hasSuffix("# EOF\n"))
        #expect(open.output.contains("# TYPE jobkit_tasks counter"))

        // The daemon's own housekeeping runs on Jobkit, so task metrics are live without any submitted job.
        try await daemon.waitUntil("a housekeeping task to be counted") {
            let scrape = try? await runTool("curl", ["-sS", "http://127.0.0.1:\(port)/metrics"])
            return scrape?.output.contains("jobkit_tasks_total{job_type=\"housekeeping\",outcome=\"success\"}") == true
        }

        let status = try await runTool(
            "curl", ["-sS", "--unix-socket", daemon.socketPath, "http://localhost/v1/status"])
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        #expect((snapshot["workers"] as? [Any])?.count == 4)
        #expect(snapshot["tasksByState"] != nil)
        let jobs = try #require(snapshot["jobs"] as? [[String: Any]])
        let housekeeping = try #require(jobs.first { $0["job"] as? String == "housekeeping" })
        let lastMinute = try #require((housekeeping["windows"] as? [[String: Any]])?.first)
        #expect(lastMinute["windowSeconds"] as? Double == 60)
        #expect(lastMinute["successRatio"] as? Double == 1)
        #expect((lastMinute["durationQuantiles"] as? [String: Double])?["0.99"] != nil)

        // gzip when the scraper asks for it; curl decompresses and the text is intact.
        let compressed = try await runTool(
            "curl", ["-sS", "--compressed", "-D", "-", "http://127.0.0.1:\(port)/metrics"])
        #expect(compressed.output.lowercased().contains("content-encoding: gzip"))
        #expect(compressed.output.contains("# TYPE jobkit_tasks_total counter"))

        let json = try await runTool(
            "curl", ["-sS", "--unix-socket", daemon.socketPath, "http://localhost/v1/metrics"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let names = (document["families"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("jobkit_task_duration_seconds"))
        #expect(names.contains("process_resident_memory_bytes"))

        let missing = try await runTool("curl", ["-sS", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/nope"])
        #expect(missing.output.hasSuffix("\n404"))
        #expect(missing.output.contains(#""code":"not_found""#))

        #expect(try await daemon.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the socket is removed on exit")
        #expect(FileManager.default.fileExists(atPath: daemon.stateDirectory + "/status.json"))
    }

    @Test func theVersionIsTheSameInTheCommandTheStartLineTheStatusAndTheMetrics() async throws {
        let printed = try await runTool(DaemonProcess.binary.path, ["--version"])
        #expect(printed.status == 0)
        let version = printed.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.split(separator: ".").count == 3, "a semantic version: \(version)")
        let daemon = try DaemonProcess()
        let port = try await daemon.waitForPort()
        #expect(daemon.errorOutput.contains("memoryd \(version): listening on 127.0.0.1:\(port)"))
        #expect(daemon.errorOutput.contains("state in \(daemon.stateDirectory)"))
        let status = try await curl("GET", "/v1/status", at: .socket(daemon.socketPath))
        #expect(status.json["version"] as? String == version)
        let metrics = try await curl("GET", "/metrics", at: .tcp(port: port))
        #expect(metrics.body.contains("\nmemoryd_build_info{version=\"\(version)\"} 1\n"))
        #expect(try await daemon.terminate() == 0)
    }

    /// Signals sent the moment the start line is out are handled, not lost or left to their default
    /// action: a SIGHUP then a SIGTERM stop the daemon cleanly, every time.
    @Test func signalsSentAsSoonAsTheDaemonIsReadyAreHandled() async throws {
        let directory = try makeTemporaryDirectory("signals")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig("[jobs.hello]\ncommand = [\"true\"]\n", in: directory)
        for round in 1...Self.signalRounds {
            let daemon = try DaemonProcess(arguments: ["--config", config.path])
            _ = try await daemon.waitForPort()
            kill(daemon.process.processIdentifier, SIGHUP)
            kill(daemon.process.processIdentifier, SIGTERM)
            try await daemon.waitUntil("memoryd to stop after SIGHUP and SIGTERM") { !daemon.process.isRunning }
            #expect(daemon.process.terminationReason == .exit, "round \(round): killed by a signal")
            #expect(daemon.process.terminationStatus == 0, "round \(round): \(daemon.errorOutput)")
        }
    }

    /// Start-and-signal rounds of the test above: a lost signal was seen about once in 70 stops.
    static let signalRounds = 20

    @Test func aSecondDaemonOnTheSameStateDirectoryExitsNamingTheFirstsPid() async throws {
        let first = try DaemonProcess()
        _ = try await first.waitForPort()
        let second = try DaemonProcess(directory: first.directory)
        try await second.waitUntil("the second daemon to give up") { !second.process.isRunning }
        #expect(second.process.terminationStatus != 0)
        #expect(second.errorOutput.contains("already running (pid \(first.process.processIdentifier))"))
        // The first one is untouched: it still answers and stops cleanly.
        let status = try await runTool(
            "curl", ["-sS", "--unix-socket", first.socketPath, "http://localhost/v1/status"])
        #expect(status.output.contains("\"pid\""))
        #expect(try await first.terminate() == 0)
    }

    @Test func anAddressInUseIsAClearErrorAndANonZeroExit() async throws {
        let first = try DaemonProcess()
        let port = try await first.waitForPort()
        let second = try DaemonProcess(http: "127.0.0.1:\(port)")
        try await second.waitUntil("the second daemon to give up") { !second.process.isRunning }
        #expect(second.process.terminationStatus != 0)
        #expect(second.errorOutput.contains("127.0.0.1:\(port)"))
        #expect(second.errorOutput.contains("the address is in use"))
        #expect(second.errorOutput.contains("--http HOST:PORT"), "the message says how to choose another")
        #expect(try await first.terminate() == 0)
    }
}
