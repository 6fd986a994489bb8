import Foundation
import Testing

/// Task parameters and output stay with the daemon's user: the state directory is 0700 and its files
/// 0600 whatever the umask, and TCP reads of them need the token.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PrivacyEndToEndTests {
    static let token = "privacy-test-token"

    @Test func stateFilesAndTaskReadsAreClosedToOthers() async throws {
        let directory = try makeTemporaryDirectory("private")
        defer { try? FileManager.default.removeItem(at: directory) }
        chmod(directory.path, 0o755)
        let config = try writeConfig(
            """
            [daemon]
            token = "\(Self.token)"

            [jobs.secret]
            command = ["sh", "-c", "echo the password is $MEMORYD_PARAM_PW"]
            """, in: directory)
        // A umask that would leave every file readable and writable by everyone.
        let daemon = try DaemonProcess(directory: directory, arguments: ["--config", config.path], umask: "000")
        let port = try await daemon.waitForPort()
        let submitted = try await curl(
            "POST", "/v1/tasks", at: .socket(daemon.socketPath),
            body: #"{"job": "secret", "params": {"pw": "hunter2"}}"#)
        let id = try #require(submitted.json["id"] as? String)
        _ = try await poll("the task to succeed", deadline: .seconds(30)) {
            try await curl("GET", "/v1/tasks/\(id)", at: .socket(daemon.socketPath)).json["state"] as? String
                == "succeeded"
                ? true : nil
        }

        // Modes, whatever the umask.
        let state = daemon.stateDirectory
        #expect(try Self.mode(of: state) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(files.contains("queue.sqlite3") && files.contains("events.jsonl") && files.contains("status.json"))
        // (The status file's temporary copy may come and go meanwhile; it is created 0600 too.)
        for file in files where FileManager.default.fileExists(atPath: state + "/" + file) {
            guard let mode = try? Self.mode(of: state + "/" + file) else { continue }
            #expect(mode == 0o600, "\(file)")
        }

        // Another user reads nothing: not the directory, and not the files even where it can reach them.
        #expect(try await runTool("runuser", ["-u", "nobody", "--", "ls", state]).status != 0)
        chmod(state, 0o711)
        for file in ["queue.sqlite3", "events.jsonl", "status.json"] {
            let read = try await runTool("runuser", ["-u", "nobody", "--", "cat", state + "/" + file])
            #expect(read.status != 0, "nobody read \(file)")
            #expect(!read.output.contains("hunter2"))
        }
        chmod(state, 0o700)

        // On TCP, reads that show parameters or output need the token; the rest stays open.
        for path in ["/v1/events?follow=false", "/v1/tasks", "/v1/tasks/\(id)", "/v1/status"] {
            let anonymous = try await curl("GET", path, at: .tcp(port: port))
            #expect(anonymous.status == 401, "\(path): \(anonymous.status)")
            #expect(anonymous.errorCode == "unauthorized")
            #expect(!anonymous.body.contains("hunter2"))
            let wrong = try await curl("GET", path, at: .tcp(port: port), headers: ["Authorization: Bearer nope"])
            #expect(wrong.status == 401, "\(path) with a wrong token")
        }
        let withToken = try await curl(
            "GET", "/v1/events?follow=false", at: .tcp(port: port), headers: ["Authorization: Bearer \(Self.token)"])
        #expect(withToken.status == 200)
        #expect(withToken.body.contains("hunter2"))
        for path in ["/metrics", "/healthz", "/readyz", "/", "/v1/alerts", "/v1/openapi.yaml"] {
            #expect(try await curl("GET", path, at: .tcp(port: port)).status == 200, "\(path)")
        }
        #expect(try await daemon.terminate() == 0)
    }

    static func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }
}
