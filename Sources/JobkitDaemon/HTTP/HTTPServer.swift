import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP server on libmicrohttpd, serving one router on any number of listening sockets.
///
/// Each listener runs libmicrohttpd's internal polling thread plus a thread per connection, so a slow
/// request (a streaming response) never holds up another.
///
/// ```swift
/// var router = HTTPRouter()
/// router.route(.get, "/healthz") { _ in .text("ok\n") }
/// let server = try HTTPServer(router: router, configuration: HTTPServer.Configuration())
/// try server.listen(on: ListenSocket.tcp("127.0.0.1:9477"))
/// ```
public final class HTTPServer: @unchecked Sendable {
    // @unchecked: `daemons` is guarded by its Mutex; `router` and `configuration` are immutable; the raw
    // MHD pointers are only used under that lock or by libmicrohttpd itself.

    /// Limits and timeouts, each with a documented default.
    public struct Configuration: Sendable, Hashable {
        /// Largest request body accepted (1 MiB); larger ones get 413.
        public var maxBodyBytes: Int
        /// Memory per connection for the request line and headers (32 KiB); larger headers are refused by
        /// libmicrohttpd with 431.
        public var maxHeaderBytes: Int
        /// Concurrent connections per listener (256).
        public var connectionLimit: Int
        /// Seconds an idle connection is kept open (30). A stream is not idle while its producer writes.
        public var idleTimeoutSeconds: Int
        /// Smallest complete body that is gzipped when the client accepts gzip (1 KiB); below it the
        /// header overhead outweighs the saving.
        public var gzipMinimumBytes: Int
        /// Largest piece of a streaming body handed to libmicrohttpd at once (16 KiB).
        public var streamBlockBytes: Int
        /// Unsent bytes a stream buffers before its producer waits (64 KiB).
        public var streamBufferBytes: Int
        /// Stack of each connection thread (1 MiB). Handlers run on it, so it must hold the deepest one:
        /// JSON decoding stops at 512 levels of nesting, far below this. Smaller stacks than the system's
        /// 8 MiB make the thread started for each connection cheaper.
        public var threadStackBytes: Int

        public init(
            maxBodyBytes: Int = 1 << 20, maxHeaderBytes: Int = 32 << 10, connectionLimit: Int = 256,
            idleTimeoutSeconds: Int = 30, gzipMinimumBytes: Int = 1 << 10, streamBlockBytes: Int = 16 << 10,
            streamBufferBytes: Int = HTTPStream.defaultMaxBufferedBytes, threadStackBytes: Int = 1 << 20
        ) {
            self.maxBodyBytes = maxBodyBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.connectionLimit = connectionLimit
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.gzipMinimumBytes = gzipMinimumBytes
            self.streamBlockBytes = streamBlockBytes
            self.streamBufferBytes = streamBufferBytes
            self.threadStackBytes = threadStackBytes
        }
    }

    public let configuration: Configuration
    let router: HTTPRouter
    private let daemons = Mutex<[RunningListener]>([])
    /// Streams being sent, closed on ``stop()`` so their connection threads can end.
    private let openStreams = Mutex<[ObjectIdentifier: HTTPStream]>([:])

    public init(router: HTTPRouter, configuration: Configuration = Configuration()) {
        self.router = router
        self.configuration = configuration
    }

    deinit { stop() }

    /// Starts serving `socket`.
    ///
    /// - Throws: ``DaemonError`` (`.listener`) if libmicrohttpd refuses to start.
    public func listen(on socket: ListenSocket) throws {
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_THREAD_PER_CONNECTION.rawValue
            | MHD_USE_ERROR_LOG.rawValue
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard
            let daemon = cmhd_start_on_socket(
                flags, socket.descriptor, accessHandler, context, completionHandler, context,
                UInt32(configuration.connectionLimit), UInt32(configuration.idleTimeoutSeconds),
                configuration.maxHeaderBytes, configuration.threadStackBytes)
        else {
            throw DaemonError(.listener, "libmicrohttpd could not start on \(socket.address)")
        }
        daemons.withLock { $0.append(RunningListener(daemon: daemon, socket: socket)) }
    }

    /// Stops every listener (in-flight requests are finished) and closes the sockets.
    public func stop() {
        let running = daemons.withLock { list -> [RunningListener] in
            defer { list = [] }
            return list
        }
        let streams = openStreams.withLock { open -> [HTTPStream] in
            defer { open = [:] }
            return Array(open.values)
        }
        for stream in streams { stream.close() }
        for listener in running {
            MHD_stop_daemon(listener.daemon)
            listener.socket.close()
        }
    }

    /// Addresses being served.
    public var addresses: [String] { daemons.withLock { $0.map(\.socket.address) } }

    // MARK: - libmicrohttpd callbacks

    fileprivate func handle(
        connection: OpaquePointer,
        url: String,
        method: String,
        uploadData: UnsafePointer<CChar>?,
        uploadSize: UnsafeMutablePointer<Int>,
        state: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = state.pointee else {
            // First call: headers are in. Answer later, so keep-alive works and the body can arrive.
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
        var response: HTTPResponse
        let headers = Self.values(of: connection, kind: .HEADER_KIND, lowercased: true)
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
                    body: request.body, peer: Self.peer(of: connection)))
        }
        if method != "HEAD" { compressIfAccepted(&response, acceptEncoding: headers["accept-encoding"]) }
        return queue(response, on: connection)
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

    /// The peer's kind, and on a Unix socket its uid and pid from `SO_PEERCRED`.
    private static func peer(of connection: OpaquePointer) -> HTTPPeer {
        let descriptor = cmhd_connection_fd(connection)
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

    private static func values(of connection: OpaquePointer, kind: MHD_ValueKind, lowercased: Bool) -> [String: String]
    {
        final class Collected { var values: [String: String] = [:]; var lowercased = false }
        let collected = Collected()
        collected.lowercased = lowercased
        _ = MHD_get_connection_values(
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

    private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        let created: OpaquePointer?
        switch response.body {
        case .bytes(let body):
            created = body.withUnsafeBytes { bytes in
                MHD_create_response_from_buffer(
                    bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
            }
        case .stream(let producer):
            let stream = HTTPStream(maxBufferedBytes: configuration.streamBufferBytes)
            let context = StreamContext(stream: stream, server: self)
            openStreams.withLock { $0[ObjectIdentifier(stream)] = stream }
            created = MHD_create_response_from_callback(
                UInt64.max, configuration.streamBlockBytes, streamReader,
                Unmanaged.passRetained(context).toOpaque(), streamFree)
            if created == nil {
                streamFree(Unmanaged.passUnretained(context).toOpaque())
            } else {
                stream.start(producer)
            }
        }
        guard let mhdResponse = created else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        _ = MHD_add_response_header(mhdResponse, "Content-Type", response.contentType)
        for (name, value) in response.headers { _ = MHD_add_response_header(mhdResponse, name, value) }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    fileprivate func streamEnded(_ stream: HTTPStream) {
        stream.close()
        openStreams.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(stream)) }
    }
}

/// A started libmicrohttpd daemon and the socket it serves.
private struct RunningListener: @unchecked Sendable {
    // @unchecked: the daemon pointer is only passed to MHD_stop_daemon, once, by whoever removed it from the list.
    let daemon: OpaquePointer
    let socket: ListenSocket
}

/// What libmicrohttpd's stream callbacks get: the stream and the server that tracks it.
private final class StreamContext {
    let stream: HTTPStream
    let server: HTTPServer
    init(stream: HTTPStream, server: HTTPServer) {
        self.stream = stream
        self.server = server
    }
}

/// The bytes of a streaming body; -1 (`MHD_CONTENT_READER_END_OF_STREAM`) ends the response.
private let streamReader: MHD_ContentReaderCallback = { context, _, buffer, size in
    guard let context, let buffer else { return -1 }
    let stream = Unmanaged<StreamContext>.fromOpaque(context).takeUnretainedValue().stream
    guard let count = stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size)) else { return -1 }
    return count
}

/// Called once the response is done with, whether sent in full or the client went away.
private let streamFree: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    let owner = Unmanaged<StreamContext>.fromOpaque(context).takeRetainedValue()
    owner.server.streamEnded(owner.stream)
}

/// A request in progress: its body so far.
private final class RequestState {
    var body: [UInt8] = []
    var tooLarge = false
}

private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, uploadData, uploadSize, state in
    guard let context, let connection, let url, let method, let uploadSize, let state else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    return server.handle(
        connection: connection, url: String(cString: url), method: String(cString: method), uploadData: uploadData,
        uploadSize: uploadSize, state: state)
}

private let completionHandler: MHD_RequestCompletedCallback = { _, _, state, _ in
    guard let state, let request = state.pointee else { return }
    Unmanaged<RequestState>.fromOpaque(request).release()
    state.pointee = nil
}
