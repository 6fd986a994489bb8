import Foundation
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Seconds a test waits for something that takes milliseconds on an idle machine, before it gives up:
/// enough for two shared cores busy with every other suite and a build.
let conditionDeadline: Double = 30

/// The package's HTTP/1.1 client, over a real socket (TCP on 127.0.0.1, or Unix), for talking to the
/// server under test; raw bytes too, so malformed requests can be sent.
struct RawHTTPClient {
    enum Target {
        case tcp(port: Int)
        case unix(path: String)
    }

    struct Response {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let target: Target

    var address: SocketAddress {
        switch target {
        case .tcp(let port): .tcp(host: "127.0.0.1", port: port)
        case .unix(let path): .unix(path: path)
        }
    }

    /// A connected socket.
    func connect() throws -> Int32 { try address.connect() }

    /// Sends `request` (raw bytes, so malformed ones can be tested) and reads the response.
    func send(raw request: [UInt8]) throws -> Response {
        let response = try HTTPClient(address).exchange(raw: request)
        return Response(status: response.status, headers: response.headers, body: response.body)
    }

    /// Sends a well-formed request with `Connection: close`.
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) throws
        -> Response
    {
        try send(raw: encode(method, path, headers: headers, body: body))
    }

    /// The bytes of a request as ``HTTPClient`` writes it; a `POST` always carries a length.
    func encode(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = [])
        -> [UInt8]
    {
        let request = HTTPClient.Request(
            method, path, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            body: body.isEmpty && method != "POST" ? nil : body)
        return HTTPClient(address).encode(request)
    }
}

/// A connection read piece by piece, for streaming responses.
final class StreamingConnection: @unchecked Sendable {
    // @unchecked: used by one test at a time, from one thread at a time.
    let descriptor: Int32
    private(set) var received: [UInt8] = []
    /// Whether the server closed the connection.
    private(set) var reachedEnd = false

    init(client: RawHTTPClient, path: String) throws {
        descriptor = try client.connect()
        send(client.encode("GET", path))
    }

    /// A connection that sends `request` as it is (keep-alive requests, several on one connection).
    init(client: RawHTTPClient, raw request: [UInt8]) throws {
        descriptor = try client.connect()
        send(request)
    }

    /// Writes `bytes` (another request on the same connection).
    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    deinit { close() }

    /// Reads until `condition` holds for everything received so far, or the deadline passes.
    ///
    /// - Returns: whether the condition held.
    func read(until condition: (String) -> Bool, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !condition(String(decoding: received, as: UTF8.self)) {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return false }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 {
                reachedEnd = true
                return condition(String(decoding: received, as: UTF8.self))
            }
            received += buffer[0..<count]
        }
        return true
    }

    /// ``read(until:within:)`` on a thread of its own.
    func readOffPool(until condition: @escaping @Sendable (String) -> Bool, within seconds: Double) async -> Bool {
        await onThread { self.read(until: condition, within: seconds) }
    }

    private var closed = false
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(descriptor)
    }
}

/// Runs blocking `work` on a new thread, keeping Swift's cooperative pool free for the code under test.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Runs blocking `work` on a new thread, keeping Swift's cooperative pool free for the code under test.
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
