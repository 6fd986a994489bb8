import Foundation
import MemorydClient
import Testing

/// `memoryd` answers a plain `submit` and `--version` itself and execs memoryd-server, beside it, for
/// everything else.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FrontBinaryTests {
    /// memoryd-server beside the `memoryd` under test.
    var server: String {
        DaemonProcess.binary.deletingLastPathComponent().appendingPathComponent("memoryd-server").path
    }

    @Test func withoutMemorydServerBesideItMemorydSaysWhatIsMissing() async throws {
        let directory = try makeTemporaryDirectory("front-alone")
        defer { try? FileManager.default.removeItem(at: directory) }
        let alone = directory.appendingPathComponent("memoryd")
        try FileManager.default.copyItem(at: DaemonProcess.binary, to: alone)

        let status = try await runTool(alone.path, ["status"])
        #expect(status.status == 127)
        #expect(status.output.contains("cannot run \(directory.appendingPathComponent("memoryd-server").path)"))
        #expect(status.output.contains("No such file or directory"))
        // What it answers itself needs nothing beside it.
        let version = try await runTool(alone.path, ["--version"])
        #expect(version.status == 0)
        #expect(version.output == MemorydVersion.current + "\n")
    }

    @Test func aSymlinkToMemorydFindsMemorydServerBesideTheBinary() async throws {
        let directory = try makeTemporaryDirectory("front-link")
        defer { try? FileManager.default.removeItem(at: directory) }
        let link = directory.appendingPathComponent("memoryd")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: DaemonProcess.binary)

        let help = try await runTool(link.path, ["--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE: memoryd <subcommand>"))
    }

    @Test func submitsRefusalsReadTheSameFromEitherBinary() async throws {
        let directory = try makeTemporaryDirectory("front-refusal")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig("[jobs.hello]\ncommand = [\"true\"]\n", in: directory)
        let daemon = try DaemonProcess(arguments: ["--config", config.path])
        _ = try await daemon.waitForPort()
        let arguments = ["submit", "--socket", daemon.socketPath, "nope"]

        let front = try await runTool(DaemonProcess.binary.path, arguments)
        let full = try await runTool(server, arguments)
        #expect(front.status == 1)
        #expect(front.output == "memoryd: no job named 'nope'; jobs: hello (HTTP 404)\n")
        #expect(full.status == front.status)
        #expect(full.output == front.output)

        let absent = ["submit", "--socket", directory.appendingPathComponent("absent.sock").path, "hello"]
        let frontAbsent = try await runTool(DaemonProcess.binary.path, absent)
        let fullAbsent = try await runTool(server, absent)
        #expect(frontAbsent.status == 1)
        #expect(frontAbsent.output.contains("no memoryd answers on"))
        #expect(fullAbsent.status == frontAbsent.status)
        #expect(fullAbsent.output == frontAbsent.output)
        #expect(try await daemon.terminate() == 0)
    }
}
