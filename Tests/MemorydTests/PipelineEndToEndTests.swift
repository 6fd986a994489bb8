import Foundation
import Testing

/// `memoryd run --config`: scheduled runs of real commands, their downstream jobs, and a broken config.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PipelineEndToEndTests {
    func writeConfig(_ text: String) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString).toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func aScheduledJobRunsWithItsDownstreamJobInOneRun() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let config = try writeConfig(
            """
            [pools.disk]
            slots = 1

            [jobs.produce]
            command = ["sh", "-c", "echo \\"$MEMORYD_RUN_ID\\" >> \(output)"]
            schedule = "every 1s"
            pool = "disk"

            [jobs.consume]
            command = ["sh", "-c", "test -s \(output) && echo consumed"]
            depends_on = ["produce"]
            """)
        defer { try? FileManager.default.removeItem(at: config) }
        let daemon = try DaemonProcess(arguments: ["--config", config.path])
        _ = try await daemon.waitForPort()

        let url = "http://localhost/v1/events?follow=false&kind=succeeded&job=produce,consume"
        let finished = try await poll("a run of produce and consume", deadline: .seconds(30)) {
            () -> [[String: Any]]? in
            let text = try await runTool("curl", ["-sS", "--unix-socket", daemon.socketPath, url]).output
            let events = text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return events.contains { $0["job"] as? String == "consume" } ? events : nil
        }
        let consume = try #require(finished.first { $0["job"] as? String == "consume" })
        let run = try #require(consume["run"] as? String)
        #expect(run.hasPrefix("run-"))
        #expect(finished.contains { $0["job"] as? String == "produce" && $0["run"] as? String == run })
        let written = try String(contentsOfFile: output, encoding: .utf8)
        #expect(written.contains(run))
        #expect(try await daemon.terminate() == 0)
    }

    @Test func aBrokenConfigIsRefusedWithItsLocationAndNothingStarts() async throws {
        let config = try writeConfig("[jobs.a]\ncommand = [\"true\"]\nschedule = \"hourly\"\n")
        defer { try? FileManager.default.removeItem(at: config) }
        let daemon = try DaemonProcess(arguments: ["--config", config.path])
        try await daemon.waitUntil("memoryd to refuse the config") { !daemon.process.isRunning }
        #expect(daemon.process.terminationStatus != 0)
        #expect(daemon.errorOutput.contains("\(config.path):3:13: jobs.a.schedule = \"hourly\": not a schedule"))
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    @Test func newFilesInASourceStartRunsOnceEvenAcrossARestart() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("src-\(UUID().uuidString)").path
        let inbox = root + "/inbox"
        let output = root + "/seen"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = try writeConfig(
            """
            [sources.inbox]
            dir = "\(inbox)"
            glob = "*.jsonl"
            job = "ingest"

            [jobs.ingest]
            command = ["sh", "-c", "echo \\"$MEMORYD_PARAM_FILE\\" >> \(output)"]
            """)
        defer { try? FileManager.default.removeItem(at: config) }
        func seen() -> [String] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        let first = try DaemonProcess(arguments: ["--config", config.path])
        _ = try await first.waitForPort()
        #expect(FileManager.default.createFile(atPath: inbox + "/one.jsonl", contents: Data("{}\n".utf8)))
        #expect(FileManager.default.createFile(atPath: inbox + "/ignored.txt", contents: Data()))
        _ = try await poll("the first file to be ingested", deadline: .seconds(30)) {
            seen() == [inbox + "/one.jsonl"] ? true : nil
        }
        #expect(try await first.terminate() == 0)

        // A file that arrives while the daemon is down is picked up at the next start; the first is not redone.
        #expect(FileManager.default.createFile(atPath: inbox + "/two.jsonl", contents: Data("{}\n".utf8)))
        let second = try DaemonProcess(directory: first.directory, arguments: ["--config", config.path])
        _ = try await second.waitForPort()
        _ = try await poll("the second file to be ingested", deadline: .seconds(30)) {
            seen().contains(inbox + "/two.jsonl") ? true : nil
        }
        #expect(seen() == [inbox + "/one.jsonl", inbox + "/two.jsonl"])
        #expect(try await second.terminate() == 0)
    }
}
