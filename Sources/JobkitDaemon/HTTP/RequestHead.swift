/// A request's line and headers as received, and what the server refuses in them before any handler or
/// body is read: requests that two HTTP implementations could read differently (request smuggling,
/// RFC 9112 §6.3 and §11.2), heads that are too large, bodies announced too large.
///
/// Every refusal is the API's JSON error, and the server closes the connection after it, so nothing
/// left over on the connection is ever read as another request.
struct RequestHead: Sendable {
    /// `HTTP/1.1`, `HTTP/1.0`.
    let version: String
    /// Every header in order, duplicates kept, names as sent.
    let headers: [(name: String, value: String)]

    /// The values of header `name` (case-insensitive), in order.
    func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name }.map(\.value)
    }

    /// The error to answer instead of handling the request, or `nil` to handle it.
    func refusal(maxHeaderBytes: Int, maxBodyBytes: Int) -> HTTPResponse? {
        // Each header line is `name: value\r\n`.
        let headBytes = headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headBytes > maxHeaderBytes {
            return .error(
                431, code: "headers_too_large", message: "the request's headers exceed \(maxHeaderBytes) bytes")
        }
        let hosts = values("host")
        if version == "HTTP/1.1" && hosts.isEmpty {
            return .error(400, code: "bad_request", message: "an HTTP/1.1 request needs a Host header")
        }
        if hosts.count > 1 {
            return .error(400, code: "bad_request", message: "the request has \(hosts.count) Host headers; send one")
        }
        let lengths = values("content-length")
        let encodings = values("transfer-encoding")
        if !lengths.isEmpty && !encodings.isEmpty {
            return .error(
                400, code: "bad_request",
                message: "the request has both Content-Length and Transfer-Encoding; send one (Content-Length)")
        }
        if !encodings.isEmpty {
            let codings = encodings.flatMap { $0.split(separator: ",") }.map {
                $0.trimmingWhitespace().lowercased()
            }
            guard codings.last == "chunked" else {
                return .error(
                    400, code: "bad_request",
                    message:
                        "Transfer-Encoding \(encodings.joined(separator: ", ")) does not end in chunked; the body's length cannot be known"
                )
            }
            return .error(
                411, code: "length_required",
                message: "send the request body with a Content-Length; chunked request bodies are not accepted")
        }
        if lengths.count > 1 || lengths.first?.contains(",") == true {
            return .error(400, code: "bad_request", message: "the request has more than one Content-Length; send one")
        }
        if let length = lengths.first.flatMap({ UInt64($0.trimmingWhitespace()) }), length > UInt64(maxBodyBytes) {
            return .error(
                413, code: "payload_too_large", message: "request body of \(length) bytes exceeds \(maxBodyBytes) bytes"
            )
        }
        return nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
