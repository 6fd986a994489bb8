import Benchmark
import Foundation
import MemorydClient
import MemorydCore

// Durable submits: POST /v1/tasks against a real MemorydDaemon in this process, each answer given only
// after the run is committed to SQLite (WAL, synchronous = FULL). The baseline is the durability floor:
// appending a record to a file and fdatasync-ing it, once per submit, with the same number of threads.

/// Submits per measured iteration, spread over ``submitClients`` threads.
let submitsPerIteration = 400
/// Concurrent clients, as several scripts or sources submitting at once.
let submitClients = 4

let submitBenchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 20)

    Benchmark("durable submits, 400 by 4 clients: memoryd POST /v1/tasks", configuration: configuration) {
        benchmark, daemon in
        for _ in benchmark.scaledIterations {
            onClients(submitClients, submitsPerIteration) { _ in
                let response = try? DaemonClient(socket: daemon.socket).send(
                    "POST", "/v1/tasks", json: Array(#"{"job": "park"}"#.utf8))
                precondition(response?.status == 201, "submit failed: \(String(describing: response?.status))")
            }
        }
    } setup: {
        try DaemonFixture()
    }

    Benchmark(
        "durable submits, 400 by 4 clients: memoryd POST /v1/tasks, kept-alive connections",
        configuration: configuration
    ) { benchmark, daemon in
        for _ in benchmark.scaledIterations {
            onThreads(submitClients) { client in
                let connection = KeptAliveConnection(socket: daemon.socket)
                for _ in stride(from: client, to: submitsPerIteration, by: submitClients) {
                    let status = connection.post("/v1/tasks", body: #"{"job": "park"}"#)
                    precondition(status == 201, "submit failed: \(status)")
                }
            }
        }
    } setup: {
        try DaemonFixture()
    }

    Benchmark("durable submits, 400 by 4 clients: write + fdatasync per record", configuration: configuration) {
        benchmark, file in
        for _ in benchmark.scaledIterations {
            onClients(submitClients, submitsPerIteration) { index in
                let record = Array("{\"job\":\"park\",\"n\":\(index)}\n".utf8)
                file.lock.lock()
                _ = record.withUnsafeBytes { write(file.descriptor, $0.baseAddress, $0.count) }
                fdatasync(file.descriptor)
                file.lock.unlock()
            }
        }
    } setup: {
        try SyncedFile()
    }
}

/// A daemon on a temporary state directory whose one job parks its only worker, so submitted tasks wait
/// in the queue instead of loading the machine.
final class DaemonFixture: Sendable {
    let socket: String

    init() throws {
        let directory = temporaryDirectory("bench-daemon")
        socket = directory + "/memoryd.sock"
        let config = try MemorydConfig.parse(
            "[jobs.park]\ncommand = [\"sleep\", \"30\"]\n", file: "bench.toml", environment: [:])
        var settings = config.daemon
        settings.http = nil
        settings.socket = socket
        settings.stateDirectory = directory + "/state"
        settings.workers = 1
        let daemon = try MemorydDaemon(settings: settings, config: config)
        let ready = DispatchSemaphore(value: 0)
        Task { try await daemon.run { _ in ready.signal() } }
        ready.wait()
    }
}

/// A file opened for appending, shared by the baseline's clients.
final class SyncedFile: @unchecked Sendable {
    // @unchecked: the descriptor is written only under `lock`.
    let descriptor: Int32
    let lock = NSLock()

    init() throws {
        let path = temporaryDirectory("bench-fsync") + "/records"
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
    }
}

/// Runs `body(index)` `count` times in all over `clients` threads started together.
func onClients(_ clients: Int, _ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    onThreads(clients) { client in
        for index in stride(from: client, to: count, by: clients) { body(index) }
    }
}

/// Runs `body(thread)` on `count` threads of its own at once and returns when all have finished.
///
/// Not `DispatchQueue.concurrentPerform`: that runs at most one iteration per core at a time, so on two
/// cores four "concurrent" clients would really be two.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let finished = DispatchSemaphore(value: 0)
    for index in 0..<count {
        Thread {
            body(index)
            finished.signal()
        }.start()
    }
    for _ in 0..<count { finished.wait() }
}

/// One HTTP/1.1 connection used for many requests, as a busy client would.
final class KeptAliveConnection {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    init(socket path: String) {
        descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        precondition(connected == 0, "cannot connect to \(path)")
    }

    deinit { close(descriptor) }

    /// Sends a POST with a JSON body and reads the whole response; returns its status.
    func post(_ path: String, body: String) -> Int {
        let request = Array(
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                .utf8)
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let separator = Array("\r\n\r\n".utf8)
        while buffer.firstRange(of: separator) == nil { fill() }
        let headEnd = buffer.firstRange(of: separator)!
        let head = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self).lowercased()
        let status = Int(head.split(separator: " ")[1]) ?? 0
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        while buffer.count < headEnd.upperBound + length { fill() }
        buffer.removeSubrange(..<(headEnd.upperBound + length))
        return status
    }

    private func fill() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        precondition(count > 0, "the daemon closed the connection")
        buffer += chunk[0..<count]
    }
}
