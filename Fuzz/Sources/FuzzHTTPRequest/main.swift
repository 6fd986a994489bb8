import FoundationEssentials
import FuzzSupport
import JobkitDaemon
import MemorydCore

#if canImport(Glibc)
    import Glibc
#endif

/// A daemon on a temporary state directory, not listening: requests reach it as its listeners would
/// hand them over, after libmicrohttpd's parsing.
let daemon: MemorydDaemon = {
    let directory = "/tmp/memoryd-fuzz-\(getpid())"
    let settings = DaemonSettings(http: nil, socket: directory + "/memoryd.sock", stateDirectory: directory + "/state")
    do {
        return try MemorydDaemon(settings: settings)
    } catch {
        fatalError("cannot start the daemon to fuzz: \(error)")
    }
}()

/// The peers a request may come from, chosen by the input's first byte.
let peers: [HTTPPeer] = [.tcp, .unix(uid: getuid(), pid: 1), .unix(uid: 65534, pid: 1), .unknown]

/// Any bytes as an HTTP request (request line, headers, body, split as libmicrohttpd would), through
/// the head checks, the router, every handler's query, header and body parsing: an answer, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let peer = peers[Int(bytes[0]) % peers.count]
    guard let request = RawRequest(Array(bytes.dropFirst())) else { return 0 }
    let response = daemon.respond(
        to: HTTPRequest(
            method: request.method, path: request.path, headers: request.headers, query: request.query,
            body: request.body, peer: peer),
        version: request.version, headerList: request.headerList)
    precondition((100...599).contains(response.status), "status \(response.status)")
    return 0
}

/// A request split into its parts the way libmicrohttpd hands them to a handler.
struct RawRequest {
    var method = ""
    var path = ""
    var version = ""
    var query: [String: String] = [:]
    var headerList: [(name: String, value: String)] = []
    var headers: [String: String] = [:]
    var body: [UInt8] = []

    init?(_ bytes: [UInt8]) {
        let crlf: [UInt8] = [13, 10]
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == crlf[0] && bytes[index + 1] == crlf[1] {
                let line = bytes[start..<index]
                start = index + 2
                index += 2
                if line.isEmpty { break }
                lines.append(line)
                continue
            }
            index += 1
        }
        guard let first = lines.first else { return nil }
        body = Array(bytes[min(start, bytes.count)...])
        let parts = first.split(separator: UInt8(ascii: " "), maxSplits: 2).map { String(decoding: $0, as: UTF8.self) }
        guard parts.count == 3 else { return nil }
        method = parts[0]
        version = parts[2]
        let target = parts[1]
        path = String(target.prefix { $0 != "?" })
        if let mark = target.firstIndex(of: "?") {
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                    Self.percentDecoded($0)
                }
                query[keyValue[0]] = keyValue.count > 1 ? keyValue[1] : ""
            }
        }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self)
            headerList.append((name, value))
            headers[name.lowercased()] = value
        }
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex),
                let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
                let value = UInt8(String(decoding: [utf8[high], utf8[low]], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index = utf8.index(after: low)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

runFuzzer(fuzzHTTPRequest)
