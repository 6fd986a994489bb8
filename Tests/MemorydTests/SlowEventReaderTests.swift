import Foundation
import Jobkit
import JobkitDaemon
import MemorydClient
import Synchronization
import Testing

@testable import MemorydCore

/// A reader of `/v1/events` that stops reading loses events, is told how many, and never holds up the
/// publisher (the scheduler's workers publish inline).
@Suite(.timeLimit(.minutes(1)))
struct SlowEventReaderTests {
    @Test func aStalledReaderGetsALaggedMarkerWhilePublishingNeverWaits() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = try EventStream(configuration: .init(historyCapacity: 16, subscriberBufferSize: 64))
        let endpoint = EventsEndpoint(events: events, log: nil, heartbeat: .seconds(60))
        var router = HTTPRouter()
        router.route(.get, "/v1/events") { endpoint.respond(to: $0) }
        let server = HTTPServer(router: router, configuration: .init(streamBufferBytes: 4096))
        defer { server.stop() }
        let socketPath = directory.appendingPathComponent("api.sock").path
        try server.listen(on: ListenSocket.unix(socketPath))

        let total: UInt64 = 20_000
        let firstLine = DispatchSemaphore(value: 0)
        let resume = DispatchSemaphore(value: 0)
        let lines = Mutex<[String]>([])
        let finished = DispatchSemaphore(value: 0)
        Thread {
            var stalled = false
            _ = try? DaemonClient(socket: socketPath).streamLines("/v1/events") { line in
                lines.withLock { $0.append(line) }
                if !stalled {
                    // Stop reading here until the publisher is done: the kernel's and the server's buffers fill.
                    stalled = true
                    firstLine.signal()
                    resume.wait()
                }
                return !line.contains(#""seq":\#(total),"#)
            }
            finished.signal()
        }.start()

        _ = try await poll("the reader to subscribe", deadline: .seconds(20)) {
            events.subscriberCount == 1 ? true : nil
        }
        let padding = String(repeating: "x", count: 100)
        events.publish(JobEvent(kind: .log, message: "first \(padding)"))
        #expect(await wait(for: firstLine, seconds: 20) == .success)
        for index in 2...total { events.publish(JobEvent(kind: .log, message: "event \(index) \(padding)")) }
        resume.signal()
        #expect(await wait(for: finished, seconds: 30) == .success)

        let received = lines.withLock { $0 }
        let markers = received.filter { $0.contains(#""kind":"lagged""#) }
        #expect(!markers.isEmpty)
        #expect(received.last?.contains(#""seq":\#(total),"#) == true)
        #expect(events.droppedEvents()["api", default: 0] > 0)
        #expect(received.count < Int(total))
    }
}
