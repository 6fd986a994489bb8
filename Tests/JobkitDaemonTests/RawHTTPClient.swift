import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Seconds a test waits for something that takes milliseconds on an idle machine, before it gives up:
/// enough for two shared cores busy with every other suite and a build.
let conditionDeadline: Double = 30

/// A minimal HTTP/1.1 client over a real socket (TCP or Unix), for talking to the server under test.
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

    /// A connected socket.
    func connect() throws -> Int32 {
        let descriptor: Int32
        switch target {
        case .tcp(let port):
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        case .unix(let path):
            descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                buffer.copyBytes(from: path.utf8)
                buffer[path.utf8.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        return descriptor
    }

    /// Sends `request` (raw bytes, so malformed ones can be tested) and reads until the server closes.
    func send(raw request: [UInt8]) throws -> Response {
        let descriptor = try connect()
        defer { close(descriptor) }
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return try parse(received)
    }

    /// Sends a well-formed request with `Connection: close`.
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) throws
        -> Response
    {
        try send(raw: Self.encode(method, path, headers: headers, body: body))
    }

    static func encode(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = [])
        -> [UInt8]
    {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard
            let end = (0...(max(bytes.count - 4, 0))).first(where: {
                Array(bytes[$0..<min($0 + 4, bytes.count)]) == separator
            })
        else { throw POSIXError(.EBADMSG) }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    private func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 })
            else { break }
            let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            output += bytes[(lineEnd + 2)..<(lineEnd + 2 + size)]
            index = lineEnd + 2 + size + 2
        }
        return output
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
        let request = RawHTTPClient.encode("GET", path)
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
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
