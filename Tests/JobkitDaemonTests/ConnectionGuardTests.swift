import Foundation
import JobkitMetrics
import Testing

@testable import JobkitDaemon

/// A listener with small limits under the floods a local user can cause: it stays reachable.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionGuardTests {
    /// Small limits; a stalled stream's last bytes get 5 s to leave, so a reader that comes back in time
    /// sees the marker.
    static let configuration = HTTPServer.Configuration(
        connectionLimit: 8, connectionsPerAddress: 4, requestTimeout: .milliseconds(500), maxStreams: 2,
        streamStallTimeout: .milliseconds(500), stallMarkerGrace: .seconds(5), streamBufferBytes: 4096)
    static let marker = "{\"kind\":\"lagged\",\"closed\":true}\n"

    final class Fixture: Sendable {
        let server: HTTPServer
        let port: Int
        let registry = MetricsRegistry()
        var address: String { "127.0.0.1:\(port)" }

        init() throws {
            var router = HTTPRouter()
            router.route(.get, "/hello") { _ in .text("hello\n") }
            router.route(.get, "/quiet") { _ in
                .stream(contentType: "text/plain") { stream in
                    while !stream.isClosed { try? await Task.sleep(for: .milliseconds(50)) }
                }
            }
            router.route(.get, "/flood") { _ in
                .stream(contentType: "text/plain") { stream in
                    stream.setStallMarker(Array(ConnectionGuardTests.marker.utf8))
                    let line = Array((String(repeating: "x", count: 1000) + "\n").utf8)
                    // Bounded: at most this many writes, far more than any buffer holds.
                    for _ in 0..<100_000 {
                        guard await stream.write(line) else { return }
                    }
                }
            }
            server = HTTPServer(router: router, configuration: ConnectionGuardTests.configuration, registry: registry)
            let socket = try ListenSocket.tcp("127.0.0.1:0")
            port = socket.port!
            try server.listen(on: socket)
        }

        var client: RawHTTPClient { RawHTTPClient(target: .tcp(port: port)) }

        /// `jobkit_http_connections_refused_total` of this listener for `reason`.
        func refused(_ reason: String) -> Double {
            let text = String(decoding: PrometheusText.render(registry.collect()), as: UTF8.self)
            let series = "jobkit_http_connections_refused_total{listener=\"\(address)\",reason=\"\(reason)\"} "
            return text.split(separator: "\n").first { $0.hasPrefix(series) }.flatMap { Double($0.dropFirst(series.count)) } ?? 0
        }
    }

    /// Reads from `descriptor` until the peer closes it or `seconds` pass; returns what came and whether
    /// it was closed.
    static func readUntilClosed(_ descriptor: Int32, within seconds: Double) -> (bytes: [UInt8], closed: Bool) {
        let end = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < end {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { return (received, true) }
            received += buffer[0..<count]
        }
        return (received, false)
    }

    @Test func idleConnectionsMakeRoomForRequests() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let idle = try (0..<12).map { _ in try fixture.client.connect() }
        defer { idle.forEach { close($0) } }
        for _ in 0..<5 {
            let answer = try await onThread { try fixture.client.request("GET", "/hello") }
            #expect(answer.text == "hello\n")
        }
        let open = fixture.server.connectionCounts(of: fixture.address).values.reduce(0, +)
        #expect(open <= Self.configuration.connectionsPerAddress, "\(open) connections from one address")
    }

    @Test func aRequestThatDoesNotArriveInTimeIsClosed() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let descriptor = try fixture.client.connect()
        defer { close(descriptor) }
        let partial = Array("GET /hello HTTP/1.1\r\nHost: x\r\n".utf8)
        _ = partial.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let outcome = await onThread { Self.readUntilClosed(descriptor, within: conditionDeadline) }
        #expect(outcome.closed, "the slow request's connection stayed open")
    }

    @Test func streamsAreCappedAndAStalledOneIsClosedWithItsMarker() async throws {
        let fixture = try Fixture()
        defer { fixture.server.stop() }
        let quiet = try StreamingConnection(client: fixture.client, path: "/quiet")
        #expect(await quiet.readOffPool(until: { $0.contains("200 OK") }, within: conditionDeadline))
        // A reader that never reads.
        let stalled = try fixture.client.connect()
        defer { close(stalled) }
        var small: Int32 = 4096
        setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let request = fixture.client.encode("GET", "/flood")
        _ = request.withUnsafeBytes { write(stalled, $0.baseAddress, $0.count) }
        _ = try await waitFor({ fixture.server.connectionCounts(of: fixture.address)[.streaming] == 2 })

        let third = try await onThread { try fixture.client.request("GET", "/quiet") }
        #expect(third.status == 503)
        #expect(third.text.contains("too_many_streams"))

        // Not read: once the guard has found it stalled, the stream ends with its marker, and the
        // connection is closed.
        _ = try await waitFor({ fixture.refused("stream_stalled") > 0 })
        let outcome = await onThread { Self.readUntilClosed(stalled, within: conditionDeadline) }
        #expect(outcome.closed)
        #expect(String(decoding: outcome.bytes, as: UTF8.self).contains(Self.marker.dropLast()), "no stall marker")
    }

    /// Polls `condition` every 50 ms for up to ``conditionDeadline``.
    func waitFor(_ condition: @Sendable () -> Bool) async throws -> Bool {
        let end = ContinuousClock.now.advanced(by: .seconds(conditionDeadline))
        while ContinuousClock.now < end {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("condition not met within \(conditionDeadline) s")
        return false
    }
}
