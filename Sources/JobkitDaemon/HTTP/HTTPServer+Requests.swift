import CMicroHTTPD
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Answering requests: libmicrohttpd's access handler, the checks before it, and queueing responses.
extension HTTPServer {
    func handle(
        connection: OpaquePointer,
        url: String,
        method: String,
        version: String,
        uploadData: UnsafePointer<CChar>?,
        uploadSize: UnsafeMutablePointer<Int>,
        state: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = state.pointee else {
            // First call: the head is in. A request that could be read two ways is refused now, before its
            // body is read, and the connection closed; otherwise answer later, so keep-alive works and the
            // body can arrive.
            let head = RequestHead(version: version, headers: Self.headerList(of: connection))
            if let refusal = head.refusal(
                maxHeaderBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxBodyBytes)
            {
                var response = refusal
                response.headers.append(("Connection", "close"))
                return queue(response, on: connection)
            }
            state.pointee = Unmanaged.passRetained(RequestState()).toOpaque()
            return .YES
        }
        let request = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            if let uploadData, request.body.count + uploadSize.pointee <= configuration.maxBodyBytes {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                    request.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
                }
            } else {
                request.tooLarge = true
            }
            uploadSize.pointee = 0
            return .YES
        }
        if let responder = request.responder {
            // Back from a deferred answer: its work is done (or the server is stopping).
            request.responder = nil
            return deliver(responder.answer, for: request, method: method, on: connection)
        }
        Self.tracked(connection).map { $0.owner.requestArrived($0) }
        var response: HTTPResponse
        let headers = Self.values(of: connection, kind: .HEADER_KIND, lowercased: true)
        request.acceptEncoding = headers["accept-encoding"]
        if request.tooLarge {
            response = .error(
                413, code: "payload_too_large", message: "request body exceeds \(configuration.maxBodyBytes) bytes")
        } else {
            // Query arguments come from libmicrohttpd below; the path is what precedes them.
            let path = String(url.prefix { $0 != "?" })
            response = router.respond(
                to: HTTPRequest(
                    method: method, path: path,
                    headers: headers,
                    query: Self.values(of: connection, kind: .GET_ARGUMENT_KIND, lowercased: false),
                    body: request.body,
                    peer: Self.tracked(connection)?.peer ?? Self.peer(ofDescriptor: cmhd_connection_fd(connection))))
        }
        return deliver(response, for: request, method: method, on: connection)
    }

    /// Sends `response`, or parks the connection if the answer is deferred.
    private func deliver(
        _ response: HTTPResponse, for request: RequestState, method: String, on connection: OpaquePointer
    )
        -> MHD_Result
    {
        var response = response
        switch response.body {
        case .deferred(let start):
            return park(request, on: connection, start: start)
        case .stream:
            // libmicrohttpd sends the headers of a complete body without the body; a stream is not started.
            if method == "HEAD" { response.body = .bytes([]) }
        case .bytes:
            if method != "HEAD" { compressIfAccepted(&response, acceptEncoding: request.acceptEncoding) }
        }
        return queue(response, on: connection)
    }

    /// Answers `request` as a listener would, without a socket or libmicrohttpd: the head checks
    /// (``RequestHead``), then the router. For in-process tests and fuzzing; a streaming answer is
    /// returned without being started.
    ///
    /// - Parameters:
    ///   - version: the request line's version, `HTTP/1.1` or `HTTP/1.0`.
    ///   - headerList: every header as received, duplicates kept; by default ``HTTPRequest/headers``.
    public func respond(
        to request: HTTPRequest, version: String = "HTTP/1.1", headerList: [(name: String, value: String)]? = nil
    ) -> HTTPResponse {
        let head = RequestHead(version: version, headers: headerList ?? request.headers.map { ($0.key, $0.value) })
        if let refusal = head.refusal(
            maxHeaderBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxBodyBytes)
        {
            return refusal
        }
        if request.body.count > configuration.maxBodyBytes {
            return .error(
                413, code: "payload_too_large", message: "request body exceeds \(configuration.maxBodyBytes) bytes")
        }
        var response = router.respond(to: request)
        while case .deferred(let start) = response.body {
            let answered = DispatchSemaphore(value: 0)
            let responder = HTTPResponder(wake: { answered.signal() })
            start(responder)
            answered.wait()
            response = responder.answer
        }
        return response
    }

    /// Gzips a complete body when the client accepts it and the body is worth it.
    private func compressIfAccepted(_ response: inout HTTPResponse, acceptEncoding: String?) {
        guard case .bytes(let body) = response.body else { return }
        response.headers.append(("Vary", "Accept-Encoding"))
        guard body.count >= configuration.gzipMinimumBytes, Gzip.isAccepted(by: acceptEncoding),
            let compressed = try? Gzip.compress(body)
        else { return }
        response.body = .bytes(compressed)
        response.headers.append(("Content-Encoding", "gzip"))
    }

    /// The guard's record of `connection`, set when libmicrohttpd accepted it.
    static func tracked(_ connection: OpaquePointer) -> ConnectionGuard.Connection? {
        cmhd_connection_socket_context(connection).map {
            Unmanaged<ConnectionGuard.Connection>.fromOpaque($0).takeUnretainedValue()
        }
    }

    /// The peer's kind, and on a Unix socket its uid and pid from `SO_PEERCRED`.
    static func peer(ofDescriptor descriptor: Int32) -> HTTPPeer {
        guard descriptor >= 0 else { return .unknown }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return .unknown }
        guard address.ss_family == sa_family_t(AF_UNIX) else { return .tcp }
        // struct ucred is { pid_t pid; uid_t uid; gid_t gid; } (Linux ABI); Glibc hides it without _GNU_SOURCE.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var size = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0 else { return .unknown }
        return .unix(uid: credentials.uid, pid: credentials.pid)
    }

    /// Every header as received, in order, duplicates kept.
    private static func headerList(of connection: OpaquePointer) -> [(name: String, value: String)] {
        final class Collected { var values: [(name: String, value: String)] = [] }
        let collected = Collected()
        _ = cmhd_get_connection_values(
            connection, .HEADER_KIND,
            { context, _, key, value in
                let collected = Unmanaged<Collected>.fromOpaque(context!).takeUnretainedValue()
                guard let key else { return .YES }
                collected.values.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
                return .YES
            }, Unmanaged.passUnretained(collected).toOpaque())
        return collected.values
    }

    private static func values(of connection: OpaquePointer, kind: MHD_ValueKind, lowercased: Bool) -> [String: String]
    {
        final class Collected { var values: [String: String] = [:]; var lowercased = false }
        let collected = Collected()
        collected.lowercased = lowercased
        _ = cmhd_get_connection_values(
            connection, kind,
            { context, _, key, value in
                let collected = Unmanaged<Collected>.fromOpaque(context!).takeUnretainedValue()
                guard let key else { return .YES }
                let name = String(cString: key)
                collected.values[collected.lowercased ? name.lowercased() : name] =
                    value.map { String(cString: $0) } ?? ""
                return .YES
            }, Unmanaged.passUnretained(collected).toOpaque())
        return collected.values
    }

    func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        var response = response
        var stream: HTTPStream?
        if case .stream = response.body {
            let handle = ConnectionHandle(connection)
            stream = HTTPStream(
                maxBufferedBytes: configuration.streamBufferBytes,
                parking: HTTPStream.Parking(
                    park: { cmhd_suspend_connection(handle.connection) },
                    resume: { cmhd_resume_connection(handle.connection) }))
            if let tracked = Self.tracked(connection), !tracked.owner.startStream(stream!, on: tracked) {
                stream = nil
                response = .error(
                    503, code: "too_many_streams",
                    message: "this listener already sends \(configuration.maxStreams) streams; try again later")
            }
        }
        let created: OpaquePointer?
        switch response.body {
        case .bytes(let body):
            created = body.withUnsafeBytes { bytes in
                cmhd_create_response_from_buffer(
                    bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
            }
        case .deferred:
            preconditionFailure("a deferred answer is parked, never queued")
        case .stream(let producer):
            let stream = stream!
            let context = StreamContext(stream: stream, server: self)
            let stopping = openStreams.withLock { open -> Bool in
                if !open.stopping { open.streams[ObjectIdentifier(stream)] = stream }
                return open.stopping
            }
            // A stream that starts while the server stops ends at once: no connection may stay parked.
            if stopping { stream.close() }
            created = cmhd_create_response_from_callback(
                UInt64.max, configuration.streamBlockBytes, streamReader,
                Unmanaged.passRetained(context).toOpaque(), streamFree)
            if created == nil {
                streamFree(Unmanaged.passUnretained(context).toOpaque())
            } else {
                stream.start(producer)
            }
        }
        guard let mhdResponse = created else { return .NO }
        defer { cmhd_destroy_response(mhdResponse) }
        _ = cmhd_add_response_header(mhdResponse, "Content-Type", response.contentType)
        for (name, value) in response.headers { _ = cmhd_add_response_header(mhdResponse, name, value) }
        return cmhd_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    func streamEnded(_ stream: HTTPStream) {
        stream.close()
        openStreams.withLock { _ = $0.streams.removeValue(forKey: ObjectIdentifier(stream)) }
    }
}

/// A request in progress: its body so far, and while its answer is deferred, the responder.
final class RequestState {
    var body: [UInt8] = []
    var tooLarge = false
    /// What the client accepts (`Accept-Encoding`), kept for an answer given after a deferral.
    var acceptEncoding: String?
    var responder: HTTPResponder?
    /// Whether the answer was deferred at some point (the server counts such requests until they end).
    var wasDeferred = false
}
