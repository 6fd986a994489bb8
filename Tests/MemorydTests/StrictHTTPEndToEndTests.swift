import Foundation
import Testing

/// Requests two HTTP implementations could read differently are refused with the JSON error and the
/// connection closed, so nothing left over runs as a second request.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StrictHTTPEndToEndTests {
    /// Sends the bytes given as a Python bytes literal on the Unix socket, reads until the server closes
    /// (or 5 s pass, then prints "OPEN"), and prints what came back.
    static let raw = #"""
        import socket, sys
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        s.settimeout(5)
        try:
            s.sendall(eval(sys.argv[2]))
        except OSError:
            pass  # the server answered and closed before the rest was sent: read what it said
        received = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            received += b"\nOPEN"
        sys.stdout.write(received.decode(errors="replace"))
        """#

    @Test func smugglingHeadsAreRefusedAndTheConnectionClosed() async throws {
        let directory = try makeTemporaryDirectory("strict")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig(
            """
            [daemon]
            shutdown_grace = "1s"

            [jobs.wait]
            command = ["sleep", "600"]
            """, in: directory)
        let daemon = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await daemon.waitForPort()
        let socket = CurlTarget.socket(daemon.socketPath)
        let id = try #require(
            try await curl("POST", "/v1/tasks", at: socket, body: #"{"job": "wait"}"#).json["id"] as? String)
        _ = try await poll("the task to run", deadline: .seconds(30)) {
            try await curl("GET", "/v1/tasks/\(id)", at: socket).json["state"] as? String == "running" ? true : nil
        }
        let script = directory.appendingPathComponent("raw.py").path
        try Self.raw.write(toFile: script, atomically: true, encoding: .utf8)
        let smuggled = "DELETE /v1/tasks/\(id) HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
        let cases: [(String, Int, String)] = [
            // A body by Content-Length that is also chunked; what follows the chunked end would be a second request.
            (
                #"b"POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\#(smuggled)""#,
                400, "bad_request"
            ),
            (
                #"b"POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}\#(smuggled)""#,
                400, "bad_request"
            ),
            (#"b"GET /healthz HTTP/1.1\r\n\r\n""#, 400, "bad_request"),
            (#"b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n""#, 400, "bad_request"),
            (
                #"b"POST /v1/tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;" + b"e" * 50000 + b"\r\nhello\r\n0\r\n\r\n\#(smuggled)""#,
                411, "length_required"
            ),
            (#"b"POST /v1/tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n""#, 400, "bad_request"),
            (#"b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n""#, 431, "headers_too_large"),
        ]
        for (request, status, code) in cases {
            let answer = try await runTool("python3", [script, daemon.socketPath, request]).output
            #expect(answer.hasPrefix("HTTP/1.1 \(status) "), "\(request.prefix(80)): \(answer.prefix(200))")
            #expect(answer.contains("Content-Type: application/json"), "\(answer.prefix(300))")
            #expect(answer.contains(#"{"error":{"code":"\#(code)""#), "\(answer.prefix(400))")
            #expect(answer.contains("Connection: close"))
            #expect(!answer.hasSuffix("OPEN"), "the connection stayed open after \(request.prefix(60))")
            let statusLines = answer.split(separator: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }
            #expect(statusLines.count == 1, "more than one response: \(answer)")
        }
        // A Content-Length that is not a number never reaches memoryd: libmicrohttpd 0.9.75 refuses it
        // itself (with its own HTML body, which that version cannot replace), and closes the connection.
        let list = try await runTool(
            "python3",
            [
                script, daemon.socketPath,
                #"b"POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}\#(smuggled)""#,
            ]
        ).output
        #expect(list.hasPrefix("HTTP/1.1 400 "), "\(list.prefix(200))")
        #expect(!list.hasSuffix("OPEN"))

        // The smuggled DELETE never ran.
        #expect(try await curl("GET", "/v1/tasks/\(id)", at: socket).json["state"] as? String == "running")
        // An id the document's pattern allows but no task can have is unknown, not malformed.
        let huge = try await curl("GET", "/v1/tasks/t17831066078803353673309", at: socket)
        #expect(huge.status == 404)
        #expect(huge.errorCode == "unknown_task")
        #expect(try await daemon.terminate() == 0)
    }
}
