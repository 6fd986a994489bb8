import Foundation
import Testing

/// Any local user can open connections to the TCP listener; none of these floods keeps `/healthz` and
/// `/metrics` from answering within a second.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct FloodEndToEndTests {
    /// Opens COUNT connections to 127.0.0.1:PORT and holds them for SECONDS: `idle` sends nothing,
    /// `slowloris` sends a request line and then one header line a second, `stalled` asks for
    /// /v1/events with the token and never reads. Prints "opened N" once they are open.
    static let flood = #"""
        import socket, sys, time
        mode, port, count, seconds, token = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        held = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port))
            if mode == "slowloris":
                s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            elif mode == "stalled":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.send(b"GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\n\r\n")
            held.append(s)
        print("opened", len(held), flush=True)
        end = time.time() + seconds
        while time.time() < end:
            time.sleep(1)
            if mode == "slowloris":
                for s in held:
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        pass
        """#

    static let token = "flood-test-token"
    /// Connections per flood: more than the listener's 256.
    static let connections = 300
    /// Each probe of `/healthz` and `/metrics` must answer within this, as curl times it (connect to last
    /// byte; starting curl on a machine busy with the other suites is not the daemon's time).
    static let probeLimit = 1.0

    struct Fixture {
        let directory: URL
        let daemon: DaemonProcess
        let port: Int

        init() async throws {
            directory = try makeTemporaryDirectory("flood")
            let config = try writeConfig(
                """
                [daemon]
                token = "\(FloodEndToEndTests.token)"
                request_timeout = "3s"
                stream_stall_timeout = "2s"

                [jobs.chatty]
                command = ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo \\"line $i of a job that says a great deal to whoever follows its events\\"; i=$((i+1)); done"]
                """, in: directory)
            daemon = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
            port = try await daemon.waitForPort()
        }

        /// Runs `mode`'s flood for `seconds`, probing `/healthz` and `/metrics` on TCP every half second
        /// from the moment the connections are open; `during` runs once, in the middle.
        func flood(_ mode: String, seconds: Double, during: () async throws -> Void = {}) async throws -> [Double] {
            let script = directory.appendingPathComponent("flood.py")
            try FloodEndToEndTests.flood.write(to: script, atomically: true, encoding: .utf8)
            let attacker = try ExternalProcess(
                "python3",
                [
                    script.path, mode, "\(port)", "\(FloodEndToEndTests.connections)", "\(seconds)",
                    FloodEndToEndTests.token,
                ])
            defer { attacker.stop() }
            _ = try await poll("the flood's connections to open", deadline: .seconds(60), context: { attacker.printed })
            {
                attacker.printed.contains("opened") ? true : nil
            }
            var times: [Double] = []
            let end = ContinuousClock.now.advanced(by: .seconds(seconds - 1))
            var ranDuring = false
            while ContinuousClock.now < end {
                for path in ["/healthz", "/metrics"] {
                    let answer = try await curl(
                        "GET", path, at: .tcp(port: port), maxTime: FloodEndToEndTests.probeLimit * 5)
                    #expect(answer.status == 200, "\(mode): \(path) answered \(answer.status) after \(answer.seconds) s")
                    times.append(answer.seconds)
                }
                if !ranDuring {
                    try await during()
                    ranDuring = true
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            return times
        }

        func refused(_ reason: String) async throws -> Double {
            let metrics = try await curl("GET", "/metrics", at: .tcp(port: port)).body
            return metrics.split(separator: "\n").filter {
                $0.hasPrefix(
                    "jobkit_http_connections_refused_total{listener=\"127.0.0.1:\(port)\",reason=\"\(reason)\"}")
            }.compactMap { Double($0.split(separator: " ").last ?? "") }.first ?? 0
        }
    }

    @Test(arguments: ["idle", "slowloris"])
    func idleAndSlowConnectionsDoNotLockOutProbes(mode: String) async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        // Past the request timeout, so the slow ones are closed by it as well as to make room.
        let times = try await fixture.flood(mode, seconds: 6)
        #expect(!times.isEmpty)
        #expect(times.allSatisfy { $0 < Self.probeLimit }, "\(mode): probes took \(times)")
        await #expect(try fixture.refused("evicted") > 0)
        if mode == "slowloris" { await #expect(try fixture.refused("request_timeout") > 0) }
        #expect(try await fixture.daemon.terminate() == 0)
        // Refusals are counted, not printed one per connection.
        #expect(fixture.daemon.errorOutput.split(separator: "\n").count < 10, "\(fixture.daemon.errorOutput)")
    }

    @Test func readersThatStopReadingAreCappedAndClosed() async throws {
        let fixture = try await Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let pid = fixture.daemon.process.processIdentifier
        let times = try await fixture.flood("stalled", seconds: 8) {
            // Events to fill the readers' buffers.
            for _ in 0..<3 {
                _ = try await curl(
                    "POST", "/v1/tasks", at: .socket(fixture.daemon.socketPath), body: #"{"job": "chatty"}"#)
            }
        }
        #expect(times.allSatisfy { $0 < Self.probeLimit }, "probes took \(times)")
        await #expect(try fixture.refused("stream_limit") > 0, "more streams than the cap were let in")
        await #expect(try fixture.refused("stream_stalled") > 0, "no stalled stream was closed")
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? 0
        #expect(threads < 100, "\(threads) threads after the flood")
        #expect(try await fixture.daemon.terminate() == 0)
    }
}
