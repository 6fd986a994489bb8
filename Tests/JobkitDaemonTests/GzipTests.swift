import Foundation
import JobkitDaemon
import Testing

@Suite(.timeLimit(.minutes(1)))
struct GzipTests {
    @Test(arguments: [
        ("gzip", true), ("gzip, deflate, br", true), ("deflate;q=1, gzip;q=0.5", true), ("*", true),
        ("gzip;q=0", false), ("identity", false), ("*;q=0", false), ("br, *;q=0.1, gzip;q=0", false),
    ])
    func acceptEncodingIsReadWithQualityValues(header: String, accepted: Bool) {
        #expect(Gzip.isAccepted(by: header) == accepted)
    }

    @Test func noHeaderMeansNoCompression() {
        #expect(!Gzip.isAccepted(by: nil))
    }

    @Test func largeBodiesAreGzippedWhenAcceptedAndDecompressToTheOriginal() throws {
        let text = (0..<500).map { "jobkit_task_duration_seconds_bucket{le=\"\($0)\"} \($0 * 3)\n" }.joined()
        var router = HTTPRouter()
        router.route(.get, "/big") { _ in .text(text) }
        router.route(.get, "/small") { _ in .text("tiny\n") }
        let server = HTTPServer(router: router)
        defer { server.stop() }
        let socket = try ListenSocket.tcp("127.0.0.1:0")
        try server.listen(on: socket)
        let client = RawHTTPClient(target: .tcp(port: socket.port!))

        let compressed = try client.request("GET", "/big", headers: ["Accept-Encoding": "gzip"])
        #expect(compressed.headers["content-encoding"] == "gzip")
        #expect(compressed.headers["vary"] == "Accept-Encoding")
        #expect(compressed.body.count < text.utf8.count / 4)
        #expect(try gunzip(compressed.body) == Array(text.utf8))

        let refused = try client.request("GET", "/big", headers: ["Accept-Encoding": "gzip;q=0"])
        #expect(refused.headers["content-encoding"] == nil)
        #expect(refused.text == text)

        let small = try client.request("GET", "/small", headers: ["Accept-Encoding": "gzip"])
        #expect(small.headers["content-encoding"] == nil)
        #expect(small.text == "tiny\n")
    }

    /// Decompresses with the system's gzip, an implementation independent of ours.
    func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Array(data)
    }
}
