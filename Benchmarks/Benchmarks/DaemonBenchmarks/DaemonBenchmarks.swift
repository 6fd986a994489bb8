import Benchmark
import Foundation
import Jobkit
import JobkitDaemon

// The daemon's I/O paths, each beside the baseline a plain implementation would be:
// - event log appends (JSON lines, rotation on) against JSONEncoder plus one write(2) per event;
// - an HTTP request over the Unix socket, new connection each time as the CLI does, against the same
//   round trip on a bare socket without HTTP.

/// Events per measured iteration of the event-log benchmarks.
let eventsPerIteration = 10_000
/// Events the daemon's writer takes per write (its `writeBatchLimit`).
let batchSize = 1024
/// Size at which the benchmark's log rotates, as the daemon's default does at 1 MiB.
let rotationBytes = 1 << 20

func sampleEvent(_ seq: Int) -> JobEvent {
    var event = JobEvent(
        kind: .succeeded,
        task: TaskRef(
            id: TaskID(rawValue: UInt64(seq)), name: "extract", jobType: "extract",
            correlationID: "run-1795625727824-c45f0f8c"),
        attempt: 1, worker: "worker-0", duration: 0.0123)
    event.seq = UInt64(seq)
    return event
}

func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 50)
    submitBenchmarks()
    idleMemoryBenchmarks()

    Benchmark("event log, 10k appends: EventLog (batched, rotating)") { (benchmark, log: EventLog) in
        for _ in benchmark.scaledIterations {
            var batch: [JobEvent] = []
            batch.reserveCapacity(batchSize)
            for seq in 1...eventsPerIteration {
                batch.append(sampleEvent(seq))
                if batch.count == batchSize {
                    try? log.append(contentsOf: batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try? log.append(contentsOf: batch)
        }
    } setup: {
        try EventLog(directory: temporaryDirectory("bench-log"), configuration: .init(maxBytes: rotationBytes, keep: 3))
    }

    Benchmark("event log, 10k appends: JSONEncoder + write per event") { (benchmark, handle: FileHandle) in
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for _ in benchmark.scaledIterations {
            for seq in 1...eventsPerIteration {
                var line = (try? encoder.encode(sampleEvent(seq))) ?? Data()
                line.append(UInt8(ascii: "\n"))
                handle.write(line)
            }
        }
    } setup: {
        let path = temporaryDirectory("bench-naive") + "/events.jsonl"
        precondition(FileManager.default.createFile(atPath: path, contents: nil), "cannot create \(path)")
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    Benchmark(
        "API round trip over the Unix socket: JobkitDaemon HTTP GET",
        configuration: .init(metrics: [.wallClock], scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 5000)
    ) { benchmark, server in
        for _ in benchmark.scaledIterations {
            blackHole(roundTrip(server.path, request: server.request))
        }
    } setup: {
        try HTTPFixture()
    }

    Benchmark(
        "API round trip over the Unix socket: bare socket, no HTTP",
        configuration: .init(metrics: [.wallClock], scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 5000)
    ) { benchmark, echo in
        for _ in benchmark.scaledIterations {
            blackHole(roundTrip(echo.path, request: Array("ping\n".utf8)))
        }
    } setup: {
        try EchoFixture()
    }
}

/// A JobkitDaemon server with one small JSON route on a Unix socket.
final class HTTPFixture: Sendable {
    let server: HTTPServer
    let path: String
    let request = Array("GET /v1/ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)

    init() throws {
        var router = HTTPRouter()
        router.route(.get, "/v1/ping") { _ in .json(Array(#"{"ok":true}"#.utf8)) }
        server = HTTPServer(router: router)
        path = temporaryDirectory("bench-http") + "/api.sock"
        try server.listen(on: ListenSocket.unix(path))
    }
}

/// The floor: a thread that accepts a connection, reads a line, answers, closes.
final class EchoFixture: Sendable {
    let path: String

    init() throws {
        path = temporaryDirectory("bench-echo") + "/echo.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        precondition(bound == 0 && listen(listener, 128) == 0, "echo socket")
        Thread {
            var buffer = [UInt8](repeating: 0, count: 512)
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { continue }
                _ = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}".utf8)
                _ = answer.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                close(connection)
            }
        }.start()
    }
}

func unixAddress(_ path: String) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
        buffer.copyBytes(from: path.utf8)
        buffer[path.utf8.count] = 0
    }
    return address
}

/// Connects, sends `request`, reads until the server closes; returns the bytes received.
func roundTrip(_ path: String, request: [UInt8]) -> Int {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = unixAddress(path)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard connected == 0 else { return -1 }
    _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    var total = 0
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count <= 0 { return total }
        total += count
    }
}
