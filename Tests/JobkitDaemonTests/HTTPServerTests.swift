import Foundation
import JobkitDaemon
import Testing

@Suite(.timeLimit(.minutes(1)))
struct HTTPServerTests {
    func makeRouter() -> HTTPRouter {
        var router = HTTPRouter()
        router.route(.get, "/hello") { request in
            .text("hello \(request.query["name"] ?? "world") via \(request.header("X-Probe") ?? "-")\n")
        }
        router.route(.post, "/echo") { request in .json(request.body, status: 201) }
        return router
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("jobkit-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func servesTheSameRoutesOnLoopbackTCPAndAPrivateUnixSocket() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = HTTPServer(router: makeRouter())
        defer { server.stop() }
        let tcp = try ListenSocket.tcp("127.0.0.1:0")
        let socketPath = directory.appendingPathComponent("api.sock").path
        let unix = try ListenSocket.unix(socketPath)
        try server.listen(on: tcp)
        try server.listen(on: unix)

        let mode = try FileManager.default.attributesOfItem(atPath: socketPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        for target in [RawHTTPClient.Target.tcp(port: tcp.port!), .unix(path: socketPath)] {
            let client = RawHTTPClient(target: target)
            let hello = try client.request("GET", "/hello?name=ops", headers: ["X-Probe": "yes"])
            #expect(hello.status == 200)
            #expect(hello.text == "hello ops via yes\n")
            #expect(hello.headers["content-type"] == "text/plain; charset=utf-8")
            let echo = try client.request("POST", "/echo", body: Array(#"{"a":1}"#.utf8))
            #expect(echo.status == 201)
            #expect(echo.text == #"{"a":1}"#)
            #expect(echo.headers["content-type"] == "application/json")
        }
    }

    @Test func unknownPathsWrongMethodsAndOversizedBodiesGetJSONErrors() throws {
        let server = HTTPServer(router: makeRouter(), configuration: .init(maxBodyBytes: 16))
        defer { server.stop() }
        let tcp = try ListenSocket.tcp("127.0.0.1:0")
        try server.listen(on: tcp)
        let client = RawHTTPClient(target: .tcp(port: tcp.port!))

        let missing = try client.request("GET", "/nope")
        #expect(missing.status == 404)
        #expect(missing.headers["content-type"] == "application/json")
        #expect(missing.text == #"{"error":{"code":"not_found","message":"no such path: /nope"}}"# + "\n")

        let wrongMethod = try client.request("DELETE", "/hello")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET")

        let tooLarge = try client.request("POST", "/echo", body: Array(repeating: UInt8(ascii: "x"), count: 17))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.text.contains("payload_too_large"))

        let garbage = try client.send(raw: Array("NOT HTTP AT ALL\r\n\r\n".utf8))
        #expect((400..<500).contains(garbage.status))

        // The server is still fine afterwards.
        #expect(try client.request("GET", "/hello").status == 200)
    }

    @Test func badAddressesAreClearErrors() throws {
        #expect(throws: DaemonError.self) { try ListenSocket.tcp("no-port") }
        #expect(throws: DaemonError.self) { try ListenSocket.tcp("example.com:80") }
        let taken = try ListenSocket.tcp("127.0.0.1:0")
        defer { taken.close() }
        let error = #expect(throws: DaemonError.self) { try ListenSocket.tcp("127.0.0.1:\(taken.port!)") }
        #expect(error?.errno == EADDRINUSE)
        #expect(error?.message.contains("bind 127.0.0.1:\(taken.port!)") == true)
    }
}
