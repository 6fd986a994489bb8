import Foundation
import Testing

/// The persistent queue against `kill -9`: every task acknowledged with 201 finishes after a restart.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct QueueRecoveryEndToEndTests {
    @Test func everyAcceptedTaskFinishesAfterTheDaemonIsKilled() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("done-\(UUID().uuidString)").path
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID().uuidString).toml")
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(at: config)
        }
        // One worker, so while the first task runs the others wait in the queue.
        try """
        [daemon]
        workers = 1

        [jobs.work]
        command = ["sh", "-c", "sleep 1; echo \\"$MEMORYD_PARAM_N:$MEMORYD_ATTEMPT\\" >> \(output)"]
        retries = 2
        """.write(to: config, atomically: true, encoding: .utf8)
        let first = try DaemonProcess(arguments: ["--config", config.path, "--workers", "1"])
        _ = try await first.waitForPort()
        for n in 1...3 {
            let submitted = try await runTool(
                "curl",
                [
                    "-sS", "-w", "\n%{http_code}", "--unix-socket", first.socketPath, "-X", "POST", "--data",
                    #"{"job": "work", "params": {"n": "\#(n)"}}"#, "http://localhost/v1/tasks",
                ])
            #expect(submitted.output.hasSuffix("\n201"))
        }
        _ = try await poll("the first task to run", deadline: .seconds(30)) {
            let text = try await runTool(
                "curl", ["-sS", "--unix-socket", first.socketPath, "http://localhost/v1/tasks?state=running"]
            ).output
            return text.contains(#""job":"work""#) ? true : nil
        }
        kill(first.process.processIdentifier, SIGKILL)
        try await first.waitUntil("the daemon to die") { !first.process.isRunning }

        let second = try DaemonProcess(
            directory: first.directory, arguments: ["--config", config.path, "--workers", "1"])
        _ = try await second.waitForPort()
        // The task running at the kill and those still waiting (on a loaded machine, one or two may have
        // finished before the kill).
        #expect(
            (1...3).contains { second.errorOutput.contains("resumed \($0) unfinished tasks from the queue") },
            "\(second.errorOutput)")
        let lines = try await poll("all three tasks to finish", deadline: .seconds(60)) { () -> [String]? in
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n").map(String.init)
            return Set(lines.map { $0.prefix { $0 != ":" } }) == ["1", "2", "3"] ? lines : nil
        }
        // The task that was running when the daemon died counts that attempt: it runs again as attempt 2.
        #expect(lines.filter { $0.hasSuffix(":2") }.count == 1, "\(lines)")
        #expect(try await second.terminate() == 0)

        // Nothing is left to resume once they have finished.
        let third = try DaemonProcess(directory: first.directory, arguments: ["--config", config.path])
        _ = try await third.waitForPort()
        #expect(!third.errorOutput.contains("resumed"))
        #expect(try await third.terminate() == 0)
    }
}
