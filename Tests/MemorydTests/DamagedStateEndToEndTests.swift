import Foundation
import Testing

/// A state directory that cannot be trusted stops the start loudly (exit 3, saying what is wrong and
/// what to do) instead of starting empty; `--reset-state` sets it aside. Torn log lines are repaired.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DamagedStateEndToEndTests {
    /// Exit status of `memoryd run` on a damaged state directory.
    static let damagedExit: Int32 = 3

    struct Fixture {
        let directory: URL
        let config: URL
        var state: String { directory.appendingPathComponent("state").path }

        /// A state directory that has been used: one task left unfinished in its queue.
        init() async throws {
            directory = try makeTemporaryDirectory("damaged")
            config = directory.appendingPathComponent("memoryd.toml")
            try """
            [daemon]
            shutdown_grace = "1s"

            [jobs.wait]
            command = ["sleep", "600"]
            """.write(to: config, atomically: true, encoding: .utf8)
            let daemon = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
            _ = try await daemon.waitForPort()
            #expect(
                try await curl("POST", "/v1/tasks", at: .socket(daemon.socketPath), body: #"{"job": "wait"}"#).status
                    == 201)
            #expect(try await daemon.terminate() == 0)
        }

        /// Starts the daemon on the state directory and waits for it to refuse; returns its stderr.
        func refusedStart(_ extra: [String] = []) async throws -> String {
            let daemon = try DaemonProcess(directory: directory, arguments: ["--config", config.path] + extra)
            try await daemon.waitUntil("memoryd to refuse the state directory") { !daemon.process.isRunning }
            #expect(daemon.process.terminationStatus == DamagedStateEndToEndTests.damagedExit, "\(daemon.errorOutput)")
            return daemon.errorOutput
        }

        /// Starts the daemon, expects it up, and stops it; returns its stderr.
        func start(_ extra: [String] = []) async throws -> String {
            let daemon = try DaemonProcess(directory: directory, arguments: ["--config", config.path] + extra)
            _ = try await daemon.waitForPort()
            #expect(try await daemon.terminate() == 0)
            return daemon.errorOutput
        }

        func removeQueue() {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: state + "/queue.sqlite3" + suffix)
            }
        }

        func appendToLog(_ line: String) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: state + "/events.jsonl"))
            handle.seekToEndOfFile()
            handle.write(Data((line + "\n").utf8))
            try handle.close()
        }
    }

    @Test func aMissingOrEmptyQueueInAUsedDirectoryStopsTheStartUntilReset() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        fixture.removeQueue()
        let missing = try await fixture.refusedStart()
        #expect(missing.contains("queue.sqlite3 is missing, but this state directory has been used"), "\(missing)")
        #expect(missing.contains("--reset-state"))
        #expect(
            !FileManager.default.fileExists(atPath: fixture.state + "/queue.sqlite3"),
            "the refused start created a database")

        #expect(FileManager.default.createFile(atPath: fixture.state + "/queue.sqlite3", contents: Data()))
        let empty = try await fixture.refusedStart()
        #expect(empty.contains("queue.sqlite3 is empty"), "\(empty)")

        let reset = try await fixture.start(["--reset-state"])
        #expect(reset.contains("--reset-state: moved the previous state"), "\(reset)")
        let aside = try FileManager.default.contentsOfDirectory(atPath: fixture.state).filter {
            $0.hasPrefix("previous-")
        }
        #expect(aside.count == 1)
        #expect(FileManager.default.fileExists(atPath: fixture.state + "/" + aside[0] + "/identity"))
        // And the new state is whole: it starts again without complaint.
        #expect(!(try await fixture.start()).contains("not started"))
    }

    @Test func anotherDirectorysQueueIsRefused() async throws {
        let fixture = try await Fixture()
        let other = try await Fixture()
        defer {
            try? FileManager.default.removeItem(at: fixture.directory)
            try? FileManager.default.removeItem(at: other.directory)
        }
        fixture.removeQueue()
        for suffix in ["", "-wal", "-shm"] {
            let source = other.state + "/queue.sqlite3" + suffix
            if FileManager.default.fileExists(atPath: source) {
                try FileManager.default.copyItem(atPath: source, toPath: fixture.state + "/queue.sqlite3" + suffix)
            }
        }
        let output = try await fixture.refusedStart()
        #expect(output.contains("belongs to another state directory"), "\(output)")
    }

    @Test(arguments: ["18446744073709551615", "9223372036854775807", "9007199254740992"])
    func aSequenceNumberOutOfRangeStopsTheStart(seq: String) async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try fixture.appendToLog(#"{"kind":"queued","seq":\#(seq),"time":"2026-12-02T08:00:00.000Z"}"#)
        let output = try await fixture.refusedStart()
        #expect(output.contains("events.jsonl:"), "\(output)")
        #expect(output.contains("sequence number \(seq) is out of range"), "\(output)")
    }

    @Test func anUnreadableEventLogStopsTheStart() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let log = fixture.state + "/events.jsonl"
        try FileManager.default.removeItem(atPath: log)
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: false)
        let output = try await fixture.refusedStart()
        #expect(output.contains("the event log") && output.contains("is not a regular file"), "\(output)")
    }

    @Test func aTornLineInTheMiddleOfTheLogIsRemovedAtStart() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        // What a write cut short by a full disk left before the fix: a torn event, then whole ones.
        try fixture.appendToLog(
            #"{"job":"wait","kind":"succeede{"kind":"queued","seq":999000,"time":"2026-12-02T08:00:00.000Z"}"#)
        try fixture.appendToLog(#"{"kind":"queued","seq":999001,"time":"2026-12-02T08:00:01.000Z"}"#)
        let output = try await fixture.start()
        #expect(output.contains("removed 1 torn line from events.jsonl"), "\(output)")
        let log = try String(contentsOfFile: fixture.state + "/events.jsonl", encoding: .utf8)
        #expect(!log.contains("succeede{"))
        for line in log.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
        // Numbering went on after the last whole event, written exactly.
        #expect(log.contains(#""seq":999002"#), "\(log.suffix(500))")
    }
}
