import FoundationEssentials
import JobkitMetrics

#if canImport(Glibc)
    import Glibc
#endif

/// Talks HTTP/1.1 to a running memoryd over its Unix socket: what the CLI's client commands use.
public struct DaemonClient: Sendable {
    /// A response with its whole body.
    public struct Response: Sendable {
        public var status: Int
        /// Headers by lower-cased name.
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// Why a request did not get an answer.
    public struct ClientError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Path of the daemon's socket.
    public let socket: String

    public init(socket: String) {
        self.socket = socket
    }

    /// Sends `GET path` and returns the whole response.
    ///
    /// - Throws: ``ClientError`` when no daemon answers on the socket or the response is malformed.
    public func get(_ path: String, accept: String? = nil) throws(ClientError) -> Response {
        try send("GET", path, accept: accept)
    }

    /// Sends `method path` with an optional JSON `body` and returns the whole response.
    ///
    /// - Throws: ``ClientError`` when no daemon answers on the socket or the response is malformed.
    public func send(_ method: String, _ path: String, json body: [UInt8]? = nil, accept: String? = nil)
        throws(ClientError) -> Response
    {
        var received: [UInt8] = []
        let head = try exchange(method, path, accept: accept, body: body) { chunk in
            received += chunk
            return true
        }
        return Response(status: head.status, headers: head.headers, body: received)
    }

    /// Sends `GET path` and hands each complete line of the body to `onLine` as it arrives, until the
    /// server ends the response or `onLine` returns `false`.
    ///
    /// - Returns: the status and headers.
    /// - Throws: ``ClientError`` when no daemon answers or the response is malformed.
    @discardableResult
    public func streamLines(_ path: String, accept: String? = nil, _ onLine: (String) -> Bool) throws(ClientError)
        -> (status: Int, headers: [String: String])
    {
        var pending: [UInt8] = []
        return try exchange("GET", path, accept: accept, body: nil) { chunk in
            pending += chunk
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if !onLine(line) { return false }
            }
            return true
        }
    }

    // MARK: - Wire

    private func exchange(
        _ method: String, _ path: String, accept: String?, body: [UInt8]?, _ onBody: ([UInt8]) -> Bool
    ) throws(ClientError) -> (status: Int, headers: [String: String]) {
        let descriptor = try connect()
        defer { close(descriptor) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8) + (body ?? [])
        guard bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw ClientError(
                description: "could not send the request to \(socket): \(String(cString: strerror(errno)))")
        }
        var reader = ResponseReader(descriptor: descriptor)
        let head = try reader.readHead()
        try reader.readBody(
            chunked: head.headers["transfer-encoding"]?.lowercased() == "chunked",
            length: head.headers["content-length"].flatMap(Int.init), onBody)
        return head
    }

    private func connect() throws(ClientError) -> Int32 {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ClientError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard socket.utf8.count < capacity else {
            close(descriptor)
            throw ClientError(description: "socket path \(socket) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: socket.utf8)
            buffer[socket.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ClientError(
                description: "no memoryd answers on \(socket) (\(reason)); start one with `memoryd run`, or point "
                    + "--socket (or MEMORYD_SOCKET) at the one that runs")
        }
        return descriptor
    }
}

/// Reads an HTTP/1.1 response from a socket: the head, then a body by length, chunks, or until close.
private struct ResponseReader {
    let descriptor: Int32
    var buffer: [UInt8] = []
    var closed = false

    /// Largest response head accepted.
    static let maxHeadBytes = 64 << 10

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    mutating func fill() throws(DaemonClient.ClientError) {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { return }
            throw DaemonClient.ClientError(description: "reading the response: \(String(cString: strerror(errno)))")
        }
        if count == 0 { closed = true }
        buffer += chunk[0..<count]
    }

    mutating func readHead() throws(DaemonClient.ClientError) -> (status: Int, headers: [String: String]) {
        let separator = Array("\r\n\r\n".utf8)
        while true {
            if let end = buffer.firstRange(of: separator) {
                let lines = String(decoding: buffer[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                buffer.removeSubrange(..<end.upperBound)
                let parts = lines[0].split(separator: " ")
                guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                    throw DaemonClient.ClientError(description: "malformed status line: \(lines[0])")
                }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                        .trimmingWhitespace()
                }
                return (status, headers)
            }
            guard !closed, buffer.count <= Self.maxHeadBytes else {
                throw DaemonClient.ClientError(description: "the daemon closed the connection without a response")
            }
            try fill()
        }
    }

    mutating func readBody(chunked: Bool, length: Int?, _ onBody: ([UInt8]) -> Bool) throws(DaemonClient.ClientError) {
        if chunked {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw DaemonClient.ClientError(description: "malformed chunk size: \(sizeLine)")
                }
                if size == 0 { return }
                while buffer.count < size + 2 {
                    guard !closed else { throw DaemonClient.ClientError(description: "the response ended early") }
                    try fill()
                }
                let data = Array(buffer[..<size])
                buffer.removeSubrange(..<(size + 2))
                if !onBody(data) { return }
            }
        }
        var remaining = length ?? Int.max
        while remaining > 0 {
            if buffer.isEmpty {
                if closed { break }
                try fill()
                continue
            }
            let take = min(remaining, buffer.count)
            let data = Array(buffer[..<take])
            buffer.removeSubrange(..<take)
            remaining -= take
            if !onBody(data) { return }
        }
    }

    private mutating func readLine() throws(DaemonClient.ClientError) -> String {
        let crlf = Array("\r\n".utf8)
        while true {
            if let end = buffer.firstRange(of: crlf) {
                let line = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<end.upperBound)
                return line
            }
            guard !closed else { throw DaemonClient.ClientError(description: "the response ended early") }
            try fill()
        }
    }
}
