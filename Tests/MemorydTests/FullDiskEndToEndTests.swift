import Foundation
import Testing

/// A state directory on a 1 MiB tmpfs that fills up: submits answer 507 with the JSON error, `/readyz`
/// turns 503, the event log keeps no torn line, and once space is freed everything works again without a
/// restart. Mounting needs root, which CI is.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FullDiskEndToEndTests {
    @Test func aFullDiskIsReportedHonestlyAndRecoveredFromWithoutARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("full-\(UUID().uuidString)")
        let mountPoint = directory.appendingPathComponent("fs").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await runTool("mount", ["-t", "tmpfs", "-o", "size=1M", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mounting a tmpfs needs root: \(mounted.output)")
        defer {
            _ = try? runToolBlocking("umount", ["-l", mountPoint])
            try? FileManager.default.removeItem(at: directory)
        }
        let config = try writeConfig(
            """
            [jobs.echo]
            command = ["sh", "-c", "echo $MEMORYD_PARAM_N"]
            """, in: directory)
        let daemon = try DaemonProcess(
            directory: directory, arguments: ["--config", config.path, "--state-dir", mountPoint + "/state"])
        _ = try await daemon.waitForPort()
        let socket = CurlTarget.socket(daemon.socketPath)
        #expect(
            try await curl("POST", "/v1/tasks", at: socket, body: #"{"job": "echo", "params": {"n": "1"}}"#).status
                == 201)

        // Fill the file system.
        let filler = mountPoint + "/filler"
        _ = try await runTool("sh", ["-c", "dd if=/dev/zero of=\(filler) bs=4096 2>/dev/null; true"])
        let padding = String(repeating: "x", count: 40_000)
        let refused = try await poll("a submit to be refused", deadline: .seconds(30)) { () -> CurlAnswer? in
            let answer = try await curl(
                "POST", "/v1/tasks", at: socket, body: #"{"job": "echo", "params": {"n": "\#(padding)"}}"#)
            return answer.status == 201 ? nil : answer
        }
        #expect(refused.status == 507, "\(refused.body)")
        #expect(refused.errorCode == "insufficient_storage")
        let notReady = try await poll("/readyz to say the disk is full", deadline: .seconds(30)) { () -> CurlAnswer? in
            let answer = try await curl("GET", "/readyz", at: socket)
            return answer.status == 503 ? answer : nil
        }
        #expect(notReady.body.contains("cannot write"), "\(notReady.body)")
        let metrics = try await curl("GET", "/metrics", at: socket).body
        #expect(metrics.contains("memoryd_queue_errors_total ") && !metrics.contains("memoryd_queue_errors_total 0\n"))

        // Room again: the daemon notices by itself.
        try FileManager.default.removeItem(atPath: filler)
        _ = try await poll("/readyz to recover", deadline: .seconds(30), context: { daemon.diagnosis }) {
            try await curl("GET", "/readyz", at: socket).status == 200 ? true : nil
        }
        let accepted = try await curl("POST", "/v1/tasks", at: socket, body: #"{"job": "echo", "params": {"n": "2"}}"#)
        #expect(accepted.status == 201, "\(accepted.body)")
        let id = try #require(accepted.json["id"] as? String)
        _ = try await poll("the task to succeed", deadline: .seconds(30)) {
            try await curl("GET", "/v1/tasks/\(id)", at: socket).json["state"] as? String == "succeeded" ? true : nil
        }
        #expect(try await daemon.terminate() == 0)

        // No line of the event log is torn: each is one JSON object.
        let log = try String(contentsOfFile: mountPoint + "/state/events.jsonl", encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(lines.count > 5)
        for line in lines {
            #expect(
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any],
                "torn line: \(line.prefix(120))")
        }
        #expect(log.hasSuffix("\n"))
    }
}
