import Testing

@testable import JobkitDaemon

/// What the server refuses in a request head before any handler or body is read.
struct RequestHeadTests {
    static let limits = (header: 1024, body: 100)

    func refusal(_ headers: [(String, String)], version: String = "HTTP/1.1") -> (Int, String)? {
        let head = RequestHead(version: version, headers: headers.map { (name: $0.0, value: $0.1) })
        guard let response = head.refusal(maxHeaderBytes: Self.limits.header, maxBodyBytes: Self.limits.body),
            case .bytes(let body) = response.body
        else { return nil }
        return (response.status, String(decoding: body, as: UTF8.self))
    }

    @Test func ordinaryRequestsPass() {
        #expect(refusal([("Host", "localhost")]) == nil)
        #expect(refusal([("Host", "x"), ("Content-Length", "100"), ("Accept", "*/*")]) == nil)
        #expect(refusal([], version: "HTTP/1.0") == nil, "HTTP/1.0 needs no Host")
    }

    @Test(arguments: [
        (
            [("Content-Length", "4"), ("Transfer-Encoding", "chunked")], 400,
            "both Content-Length and Transfer-Encoding"
        ),
        ([("Content-Length", "4"), ("content-length", "5")], 400, "more than one Content-Length"),
        ([("Content-Length", "4, 4")], 400, "more than one Content-Length"),
        ([("Transfer-Encoding", "chunked")], 411, "length_required"),
        ([("Transfer-Encoding", "gzip, chunked")], 411, "length_required"),
        ([("Transfer-Encoding", "chunked, gzip")], 400, "does not end in chunked"),
        ([("Content-Length", "101")], 413, "payload_too_large"),
        ([("X-Big", String(repeating: "a", count: 1100))], 431, "headers_too_large"),
    ])
    func ambiguousOrOversizedHeadsAreRefused(headers: [(String, String)], status: Int, says: String) throws {
        let answer = try #require(refusal([("Host", "x")] + headers))
        #expect(answer.0 == status)
        #expect(answer.1.contains(says), "\(answer.1)")
        #expect(answer.1.hasPrefix(#"{"error":{"code":""#))
    }

    @Test func hostMustBeThereOnceInHTTP11() throws {
        #expect(try #require(refusal([])).1.contains("needs a Host header"))
        #expect(try #require(refusal([("Host", "a"), ("HOST", "b")])).1.contains("2 Host headers"))
    }
}
