import Foundation
import JobkitDaemon
import Synchronization
import Testing

/// Stream producers run on Swift's cooperative pool, so these tests block only on threads of their own.
@Suite(.timeLimit(.minutes(1)))
struct HTTPStreamingTests {
    /// A server with `/stream` (driven by `ticks`), `/endless` (writes until the client goes) and `/hello`.
    final class Fixture: Sendable {
        let server: HTTPServer
        let port: Int
        let ticks: AsyncStream<String>.Continuation
        /// Signalled once by `/endless` when its producer sees the stream closed.
        let producerStopped = DispatchSemaphore(value: 0)

        init() throws {
            let (ticks, continuation) = AsyncStream.makeStream(of: String.self)
            self.ticks = continuation
            let stopped = producerStopped
            var router = HTTPRouter()
            router.route(.get, "/hello") { _ in .text("hello\n") }
            router.route(.get, "/stream") { _ in
                .stream(contentType: "application/x-ndjson") { stream in
                    for await tick in ticks {
                        if tick == "end" { return }
                        guard await stream.write(Array("\(tick)\n".utf8)) else { return }
                    }
                }
            }
            router.route(.get, "/endless") { _ in
                .stream(contentType: "text/plain; charset=utf-8") { stream in
                    // Bounded: a client that never leaves ends the loop after this many writes.
                    for index in 0..<100_000 {
                        guard await stream.write(Array("line \(index)\n".utf8)) else { break }
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                    stopped.signal()
                }
            }
            server = HTTPServer(router: router)
            let socket = try ListenSocket.tcp("127.0.0.1:0")
            port = socket.port!
            try server.listen(on: socket)
        }
    }

    @Test func aStreamSendsChunksAsTheyAreWrittenWithoutHoldingUpOtherRequests() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let client = RawHTTPClient(target: .tcp(port: fixture.port))
        let connection = try StreamingConnection(client: client, path: "/stream")

        fixture.ticks.yield("first")
        #expect(await connection.readOffPool(until: { $0.contains("first\n") }, within: conditionDeadline))
        #expect(
            String(decoding: connection.received, as: UTF8.self).lowercased().contains("transfer-encoding: chunked"))

        // The stream is open and quiet; another request is answered at once.
        let hello = try await onThread { try client.request("GET", "/hello") }
        #expect(hello.text == "hello\n")

        fixture.ticks.yield("second")
        #expect(await connection.readOffPool(until: { $0.contains("second\n") }, within: conditionDeadline))
        fixture.ticks.yield("end")
        #expect(await connection.readOffPool(until: { $0.hasSuffix("0\r\n\r\n") }, within: conditionDeadline))
    }

    @Test func theProducerStopsWhenTheClientGoesAway() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let connection = try StreamingConnection(
            client: RawHTTPClient(target: .tcp(port: fixture.port)), path: "/endless")
        #expect(await connection.readOffPool(until: { $0.contains("line 2\n") }, within: conditionDeadline))
        connection.close()
        #expect(await onThread { fixture.producerStopped.wait(timeout: .now() + conditionDeadline) } == .success)
    }

    @Test func stoppingTheServerEndsAnOpenQuietStream() async throws {
        let fixture = try Fixture()
        let connection = try StreamingConnection(
            client: RawHTTPClient(target: .tcp(port: fixture.port)), path: "/stream")
        fixture.ticks.yield("only")
        #expect(await connection.readOffPool(until: { $0.contains("only\n") }, within: conditionDeadline))
        await onThread { fixture.server.stop() }
        // The server closed the connection: reading reaches end of file rather than the deadline.
        _ = await connection.readOffPool(until: { _ in false }, within: conditionDeadline)
        #expect(connection.reachedEnd)
    }

    @Test func aHeadRequestOnAStreamGetsTheHeadersOnly() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let response = try await onThread {
            try RawHTTPClient(target: .tcp(port: fixture.port)).request("HEAD", "/stream")
        }
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/x-ndjson")
        #expect(response.body.isEmpty)
    }
}
