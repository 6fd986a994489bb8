import Foundation
import JobkitDaemon
import Synchronization
import Testing

/// Deferred and blocking answers on a server with one thread: if a waiting request held that thread,
/// nothing else could be answered meanwhile.
@Suite(.timeLimit(.minutes(1)))
struct HTTPDeferredTests {
    /// A server on one thread with `/later` (answered when the test says), `/now` (deferred and answered
    /// at once, before its handler returns), `/slow` (a handler that blocks until the test says) and
    /// `/hello`.
    final class Fixture: Sendable {
        let server: HTTPServer
        let port: Int
        /// The responders of `/later` requests, in arrival order.
        let waiting = Responders()
        /// Lets `/slow` return.
        let release = DispatchSemaphore(value: 0)

        init(stopGrace: Duration = .seconds(5)) throws {
            var router = HTTPRouter()
            router.route(.get, "/hello") { _ in .text("hello\n") }
            let waiting = waiting
            router.route(.get, "/later") { _ in
                .deferred { responder in waiting.list.withLock { $0.append(responder) } }
            }
            router.route(.get, "/now") { _ in .deferred { $0.respond(.text("now\n")) } }
            let release = release
            router.route(.get, "/slow") { _ in
                .blocking {
                    release.wait()
                    return .text("slow\n")
                }
            }
            server = HTTPServer(router: router, configuration: .init(threads: 1, deferredStopGrace: stopGrace))
            let socket = try ListenSocket.tcp("127.0.0.1:0")
            port = socket.port!
            try server.listen(on: socket)
        }

        var client: RawHTTPClient { RawHTTPClient(target: .tcp(port: port)) }

        /// The responder of the `index`th `/later` request, once it has arrived.
        func responder(_ index: Int) async -> HTTPResponder? {
            let deadline = ContinuousClock.now + .seconds(conditionDeadline)
            while ContinuousClock.now < deadline {
                if let responder = waiting.list.withLock({ $0.count > index ? $0[index] : nil }) { return responder }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return nil
        }
    }

    final class Responders: Sendable {
        let list = Mutex<[HTTPResponder]>([])
    }

    @Test func aDeferredAnswerArrivesWhenItsWorkIsDoneAndHoldsNoThreadMeanwhile() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let client = fixture.client
        async let later = onThread { try client.request("GET", "/later") }
        let responder = try #require(await fixture.responder(0))

        // The server's only thread is free while the answer is pending.
        let hello = try await onThread { try client.request("GET", "/hello") }
        #expect(hello.text == "hello\n")

        responder.respond(.json(Array(#"{"done":true}"#.utf8), status: 201))
        let answer = try await later
        #expect(answer.status == 201)
        #expect(answer.text == #"{"done":true}"#)
        #expect(answer.headers["content-type"] == "application/json")
        // Only the first answer counts.
        responder.respond(.text("again\n"))
    }

    @Test func aKeptAliveConnectionGoesOnAfterADeferredAnswer() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let keepAlive = Array("GET /later HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        let connection = try StreamingConnection(client: fixture.client, raw: keepAlive)
        let responder = try #require(await fixture.responder(0))
        responder.respond { .text("first\n") }
        #expect(await connection.readOffPool(until: { $0.hasSuffix("first\n") }, within: conditionDeadline))

        connection.send(Array("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        #expect(await connection.readOffPool(until: { $0.hasSuffix("hello\n") }, within: conditionDeadline))
        #expect(!connection.reachedEnd)
    }

    @Test func aBlockingHandlerRunsOffTheServersThreads() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let client = fixture.client
        async let slow = onThread { try client.request("GET", "/slow") }
        // /slow may not have arrived yet; either way the only thread answers /hello meanwhile.
        let hello = try await onThread { try client.request("GET", "/hello") }
        #expect(hello.text == "hello\n")
        fixture.release.signal()
        #expect(try await slow.text == "slow\n")
    }

    @Test func stoppingTheServerAnswersWhatIsStillPending503() async throws {
        let fixture = try Fixture(stopGrace: .milliseconds(50))
        let client = fixture.client
        async let later = onThread { try client.request("GET", "/later") }
        let responder = try #require(await fixture.responder(0))
        await onThread { fixture.server.stop() }
        let answer = try await later
        #expect(answer.status == 503)
        #expect(answer.text.contains("shutting_down"))
        // The work finishing after the stop changes nothing and touches no connection.
        responder.respond(.text("too late\n"))
    }

    @Test func aDeferredAnswerGivenBeforeItsHandlerReturnsIsSent() throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        for _ in 0..<3 { #expect(try fixture.client.request("GET", "/now").text == "now\n") }
    }

    @Test func stoppingTheServerWaitsForAnAnswerDueWithinTheGrace() async throws {
        let fixture = try Fixture()
        let client = fixture.client
        async let later = onThread { try client.request("GET", "/later") }
        let responder = try #require(await fixture.responder(0))
        async let stopped: Void = onThread { fixture.server.stop() }
        // Once the stop has begun, nothing new is deferred: /now is refused instead of answered.
        let deadline = ContinuousClock.now + .seconds(conditionDeadline)
        var refused = false
        while !refused, ContinuousClock.now < deadline {
            let probe = try await onThread { try client.request("GET", "/now") }
            refused = probe.status == 503 && probe.text.contains("takes no new work")
        }
        #expect(refused)
        responder.respond(.text("in time\n"))
        await stopped
        #expect(try await later.text == "in time\n")
    }

    @Test func anInProcessAnswerWaitsForTheDeferredWork() async throws {
        var router = HTTPRouter()
        router.route(.get, "/later") { _ in
            .deferred { responder in
                Thread { responder.respond { .text("from another thread\n") } }.start()
            }
        }
        let response = HTTPServer(router: router).respond(
            to: HTTPRequest(method: "GET", path: "/later", headers: ["host": "localhost"]))
        guard case .bytes(let body) = response.body else {
            Issue.record("expected a complete body, got \(response.body)")
            return
        }
        #expect(String(decoding: body, as: UTF8.self) == "from another thread\n")
    }
}
