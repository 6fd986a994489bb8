import Foundation
import Testing

/// `GET /v1/events` and the event log, against the real binary, read by curl.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EventsEndToEndTests {
    static let deadline: Duration = .seconds(30)

    /// The JSON objects among `text`'s lines.
    func objects(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func sequenceNumbers(_ text: String) -> [UInt64] {
        objects(text).compactMap { ($0["seq"] as? NSNumber)?.uint64Value }
    }

    @Test func eventsStreamLiveAsNDJSONAndAsServerSentEventsWithFilters() async throws {
        let daemon = try DaemonProcess()
        _ = try await daemon.waitForPort()
        let url = "http://localhost/v1/events?job=housekeeping&kind=succeeded"
        let ndjson = try ExternalProcess("curl", ["-sN", "--unix-socket", daemon.socketPath, url])
        let sse = try ExternalProcess(
            "curl", ["-sN", "-H", "Accept: text/event-stream", "--unix-socket", daemon.socketPath, url])

        let lines = try await poll("two housekeeping events", deadline: Self.deadline, context: { ndjson.printed }) {
            let found = objects(ndjson.printed)
            return found.count >= 2 ? found : nil
        }
        for event in lines {
            #expect(event["kind"] as? String == "succeeded")
            #expect(event["job"] as? String == "housekeeping")
        }
        let seqs = lines.compactMap { ($0["seq"] as? NSNumber)?.uint64Value }
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)

        let stream = try await poll("a server-sent event", deadline: Self.deadline, context: { sse.printed }) {
            sse.printed.contains("\n\n") ? sse.printed : nil
        }
        #expect(stream.hasPrefix("id: "))
        #expect(stream.contains("\nevent: succeeded\ndata: {"))
        ndjson.stop(signal: SIGKILL)
        sse.stop(signal: SIGKILL)
        #expect(try await daemon.terminate() == 0)
    }

    @Test func badQueriesGetAClearJSONError() async throws {
        let daemon = try DaemonProcess()
        _ = try await daemon.waitForPort()
        for (query, mention) in [("since=abc", "since"), ("level=loud", "level"), ("follow=maybe", "follow")] {
            let result = try await runTool(
                "curl",
                [
                    "-sS", "-w", "\n%{http_code}", "--unix-socket", daemon.socketPath,
                    "http://localhost/v1/events?\(query)",
                ])
            #expect(result.output.hasSuffix("\n400"), "\(query): \(result.output)")
            #expect(result.output.contains(#""code":"bad_request""#))
            #expect(result.output.contains(mention))
        }
        #expect(try await daemon.terminate() == 0)
    }

    @Test func sequenceNumbersContinueAcrossARestartAndOldEventsReplayFromTheLog() async throws {
        let first = try DaemonProcess()
        _ = try await first.waitForPort()
        let events = "http://localhost/v1/events?follow=false&since=0"
        let before = try await poll("events of the first run", deadline: Self.deadline) {
            let seqs = sequenceNumbers(
                try await runTool("curl", ["-sS", "--unix-socket", first.socketPath, events]).output)
            return seqs.count >= 3 ? seqs : nil
        }
        #expect(try await first.terminate() == 0)
        let logged = try String(contentsOfFile: first.stateDirectory + "/events.jsonl", encoding: .utf8)
        let lastLogged = try #require(sequenceNumbers(logged).last)
        #expect(lastLogged >= before.last!)

        let second = try DaemonProcess(directory: first.directory)
        _ = try await second.waitForPort()
        let after = try await poll("events of the second run", deadline: Self.deadline) {
            let seqs = sequenceNumbers(
                try await runTool("curl", ["-sS", "--unix-socket", second.socketPath, events]).output)
            return seqs.contains { $0 > lastLogged } ? seqs : nil
        }
        // The first run's events come from the log, the second run's from memory, numbered on from the first.
        #expect(after.first == 1)
        #expect(after == Array(1...after.last!))
        // A reconnecting EventSource says where it was with Last-Event-ID, which wins over since.
        let resumed = try await runTool(
            "curl",
            [
                "-sS", "-H", "Accept: text/event-stream", "-H", "Last-Event-ID: \(lastLogged)", "--unix-socket",
                second.socketPath, events,
            ]
        ).output
        #expect(resumed.hasPrefix("id: \(lastLogged + 1)\n"), "\(resumed.prefix(200))")
        #expect(try await second.terminate() == 0)
    }

    @Test func theEventLogRotatesWithinTheConfiguredLimits() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("rotate-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: config) }
        try """
        [event_log]
        max_bytes = 4096
        keep = 2

        [jobs.chatty]
        command = ["sh", "-c", "i=0; while [ $i -lt 60 ]; do echo line $i; i=$((i+1)); done"]
        schedule = "every 1s"
        """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", config.path])
        _ = try await daemon.waitForPort()
        let state = daemon.stateDirectory
        _ = try await poll("the log to rotate twice", deadline: .seconds(30)) {
            FileManager.default.fileExists(atPath: state + "/events.jsonl.2") ? true : nil
        }
        #expect(try await daemon.terminate() == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: state).filter { $0.hasPrefix("events.jsonl") }
        #expect(Set(files) == ["events.jsonl", "events.jsonl.1", "events.jsonl.2"])
        for file in files {
            let text = try String(contentsOfFile: state + "/" + file, encoding: .utf8)
            #expect(text.utf8.count <= 4096, "\(file) is \(text.utf8.count) bytes")
            // Every line is whole JSON.
            #expect(
                text.split(separator: "\n").allSatisfy {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil
                })
        }
    }
}
