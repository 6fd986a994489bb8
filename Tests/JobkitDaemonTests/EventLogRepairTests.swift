import Foundation
import Jobkit
import Testing

@testable import JobkitDaemon

/// What opening and writing the event log does with damage: torn lines anywhere are removed, a failed
/// write leaves no partial line and is reported, numbers out of range stop the open.
@Suite(.timeLimit(.minutes(1)))
struct EventLogRepairTests {
    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("repair-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func event(_ seq: UInt64) -> JobEvent {
        var event = JobEvent(kind: .log, message: "line \(seq)")
        event.seq = seq
        return event
    }

    @Test(arguments: [
        (#"{"a":1}"#, true), (#"{"a":[1,2.5e-3,"x\u00e9\n",true,false,null,{}]}"#, true), (#" { } "#, true),
        (#"{"a":1"#, false), (#"{"kind":"succeede{"job":"x"}"#, false), (#"{"a":01}"#, false), (#"[1]"#, false),
        (#"{"a":"\x"}"#, false), ("{\"a\":\"\u{01}\"}", false), (#"{"a":1}{"b":2}"#, false), (#"{"a":tru}"#, false),
    ])
    func onlyWholeJSONObjectsPass(line: String, whole: Bool) {
        #expect(JSONSyntax.isObject(Array(line.utf8)) == whole, "\(line)")
    }

    @Test func tornLinesAnywhereInAnyFileAreRemovedAtOpen() throws {
        let folder = try directory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var good: [UInt8] = []
        event(1).appendJSONLine(to: &good)
        var newer: [UInt8] = []
        event(3).appendJSONLine(to: &newer)
        // A rotated file and the current one, each with a torn line in the middle, the current also at its end.
        try Data(good + Array(#"{"seq":2,"ki"#.utf8) + newer).write(
            to: URL(fileURLWithPath: folder + "/events.jsonl.1"))
        try Data(newer + Array(#"{"seq":4,"kind":"lo{"seq":5}"#.utf8) + [10] + newer + Array(#"{"seq":6"#.utf8))
            .write(to: URL(fileURLWithPath: folder + "/events.jsonl"))
        let log = try EventLog(directory: folder)
        #expect(
            log.repairs.sorted() == [
                "removed 1 torn line from events.jsonl.1", "removed 2 torn lines from events.jsonl",
            ])
        #expect(log.lastSeqAtOpen == 3)
        for file in ["events.jsonl", "events.jsonl.1"] {
            let lines = try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(separator: "\n")
            #expect(lines.allSatisfy { JSONSyntax.isObject(Array($0.utf8)) }, "\(file)")
        }
    }

    @Test func aSequenceNumberAboveTwoToTheFiftyThreeStopsTheOpen() throws {
        let folder = try directory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(#"{"kind":"log","seq":9007199254740992,"time":"2026-12-02T08:00:00.000Z"}"#.utf8 + [10])
            .write(to: URL(fileURLWithPath: folder + "/events.jsonl"))
        #expect {
            try EventLog(directory: folder)
        } throws: { error in
            guard let error = error as? DaemonError else { return false }
            return error.code == .damagedState
                && error.message.contains("events.jsonl:1: sequence number 9007199254740992")
        }
    }

    @Test func largeSequenceNumbersAreWrittenExactly() {
        var bytes: [UInt8] = []
        event(EventStream.Configuration.maximumSeq).appendJSONLine(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""seq":9007199254740991"#))
    }

    @Test func aLogThatIsNotARegularFileStopsTheOpen() throws {
        let folder = try directory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A device would be read for ever (/dev/zero) or take every write (/dev/null).
        try FileManager.default.createSymbolicLink(atPath: folder + "/events.jsonl", withDestinationPath: "/dev/zero")
        #expect {
            try EventLog(directory: folder)
        } throws: { error in
            (error as? DaemonError)?.code == .damagedState
                && (error as? DaemonError)?.message.contains("is not a regular file") == true
        }
    }

    @Test func filesAreCreatedPrivate() throws {
        let folder = try directory() + "/state"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = try EventLog(directory: folder)
        try log.append(event(1))
        let mode = { (path: String) in
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int ?? 0) & 0o777
        }
        #expect(mode(folder) == 0o700)
        #expect(mode(folder + "/events.jsonl") == 0o600)
        chmod(folder, 0o755)
        #expect(try PrivateFiles.prepareDirectory(folder)?.contains("755 → 700") == true)
        #expect(mode(folder) == 0o700)
    }
}
