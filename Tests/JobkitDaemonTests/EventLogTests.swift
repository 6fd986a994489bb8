import Foundation
import Jobkit
import JobkitDaemon
import Testing

@Suite(.timeLimit(.minutes(1)))
struct EventLogTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eventlog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func event(_ seq: UInt64, _ message: String = "line") -> JobEvent {
        var event = JobEvent(kind: .log, message: message)
        event.seq = seq
        return event
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func eventsAreOneJSONLinePerEventAndReadBack() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog(directory: directory)
        #expect(log.lastSeqAtOpen == 0)
        for seq in UInt64(1)...3 { try log.append(event(seq, "message \(seq)")) }
        let written = try lines(directory + "/events.jsonl")
        #expect(written.count == 3)
        #expect(written[0].hasPrefix("{") && written[0].contains(#""seq":1"#))
        #expect(log.events(after: 1).map(\.seq) == [2, 3])
        #expect(log.events(after: 0) { $0.message == "message 2" }.map(\.seq) == [2])
    }

    @Test func rotationKeepsTheConfiguredNumberOfFilesWithinTheSizeLimit() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = EventLog.Configuration(maxBytes: 600, keep: 2)
        let log = try EventLog(directory: directory, configuration: configuration)
        for seq in UInt64(1)...40 { try log.append(event(seq, String(repeating: "x", count: 40))) }
        log.close()

        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["events.jsonl", "events.jsonl.1", "events.jsonl.2"])
        for file in files {
            let size = try FileManager.default.attributesOfItem(atPath: directory + "/" + file)[.size] as? Int ?? 0
            #expect(size <= configuration.maxBytes, "\(file) is \(size) bytes")
        }
        // The newest events survive, in order, and the oldest rotated out.
        let kept = try EventLog(directory: directory, configuration: configuration).events(after: 0).map(\.seq)
        #expect(kept.last == 40)
        #expect(kept == Array(kept.first!...40))
        #expect(kept.first! > 1)
    }

    @Test func aLineCutShortByACrashIsRepairedOnOpenAndSequenceNumbersResume() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/events.jsonl"
        do {
            let log = try EventLog(directory: directory)
            for seq in UInt64(1)...2 { try log.append(event(seq)) }
            log.close()
        }
        // What a kill -9 in the middle of a write leaves behind.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"seq":3,"kind":"lo"#.utf8))
        try handle.close()

        let reopened = try EventLog(directory: directory)
        #expect(reopened.lastSeqAtOpen == 2)
        try reopened.append(event(3))
        let written = try lines(path)
        #expect(written.count == 3)
        #expect(written.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        #expect(reopened.events(after: 0).map(\.seq) == [1, 2, 3])
    }

    @Test func invalidSettingsAreRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: DaemonError.self) {
            try EventLog(directory: directory, configuration: .init(maxBytes: 0))
        }
    }
}
