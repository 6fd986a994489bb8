import FoundationEssentials
import JobkitMetrics
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Reads an HTTP/1.1 response from a socket: the head, then a body by length, chunks, or until close.
struct ResponseReader {
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
