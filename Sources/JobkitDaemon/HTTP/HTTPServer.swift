import CMicroHTTPD
import Dispatch
import Jobkit
public import JobkitMetrics
import JobkitSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP server on libmicrohttpd, serving one router on any number of listening sockets.
///
/// Each listener serves its connections from a small pool of threads (libmicrohttpd's thread pool on
/// epoll), so a new connection costs no thread start. Handlers run on those threads and do not block: one
/// that waits (for a commit, or on a thread of its own) answers ``HTTPResponse/deferred(_:)``, and a
/// stream with nothing to send parks its connection; neither holds a thread meanwhile, so a slow request
/// never holds up another. A ``ConnectionGuard`` per listener keeps it
/// reachable under floods (limits per listener and per address, a deadline for each request to arrive, a
/// cap on streams, stalled streams closed), and requests that could be read two ways (request smuggling)
/// are refused before any handler sees them (``RequestHead``).
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
        /// Largest request head, request line and headers together (16 KiB); larger ones get 431.
        /// libmicrohttpd's memory for a connection is twice this, and up to 32 KiB it takes that from
        /// malloc; above, it maps and unmaps it for every connection, which made each new connection a
        /// quarter dearer (`GET /healthz` on a new connection each: 8,800 -> 11,000/s).
        public var maxHeaderBytes: Int
        /// Concurrent connections per listener (256); see ``ConnectionGuard`` for what happens beyond.
        public var connectionLimit: Int
        /// Concurrent connections from one TCP address per listener (64).
        public var connectionsPerAddress: Int
        /// Time for a whole request (head and body) to arrive, from the accept or the previous response
        /// (10 s); a connection that does not send one in time is closed.
        public var requestTimeout: Duration
        /// Seconds without any traffic after which libmicrohttpd closes a connection (30).
        public var idleTimeoutSeconds: Int
        /// Streaming responses (`/v1/events`) at once per listener (32); more are answered 503.
        public var maxStreams: Int
        /// How long a stream's buffer may stay full, its client not reading, before the stream is closed
        /// with its stall marker (10 s).
        public var streamStallTimeout: Duration
        /// How long a closed stream's last bytes get to leave before its connection is shut (1 s).
        public var stallMarkerGrace: Duration
        /// Smallest complete body that is gzipped when the client accepts gzip (1 KiB); below it the
        /// header overhead outweighs the saving.
        public var gzipMinimumBytes: Int
        /// Largest piece of a streaming body handed to libmicrohttpd at once (16 KiB).
        public var streamBlockBytes: Int
        /// Unsent bytes a stream buffers before its producer waits (64 KiB).
        public var streamBufferBytes: Int
        /// Stack of each of a listener's threads (1 MiB). Handlers run on them, so it must hold the
        /// deepest one: JSON decoding stops at 512 levels of nesting, far below this.
        public var threadStackBytes: Int
        /// Threads serving each listener (2). A handler runs on the thread of its connection, so this many
        /// requests are answered at once; a deferred answer or a parked stream holds none. Every thread
        /// wakes for each new connection (libmicrohttpd 0.9.75 shares the listening socket among them
        /// without `EPOLLEXCLUSIVE`), so more threads than cores make new connections dearer: on 2 cores,
        /// 4 threads served fewer new connections per second than 2.
        public var threads: Int
        /// How long ``HTTPServer/stop()`` waits for deferred answers still being worked on (a submit's
        /// commit) to be sent, before answering them 503 (5 s); the 503s get as long again.
        public var deferredStopGrace: Duration

        public init(
            maxBodyBytes: Int = 1 << 20, maxHeaderBytes: Int = 16 << 10, connectionLimit: Int = 256,
            connectionsPerAddress: Int = 64, requestTimeout: Duration = .seconds(10), idleTimeoutSeconds: Int = 30,
            maxStreams: Int = 32, streamStallTimeout: Duration = .seconds(10), stallMarkerGrace: Duration = .seconds(1),
            gzipMinimumBytes: Int = 1 << 10, streamBlockBytes: Int = 16 << 10,
            streamBufferBytes: Int = HTTPStream.defaultMaxBufferedBytes, threadStackBytes: Int = 1 << 20,
            threads: Int = 2, deferredStopGrace: Duration = .seconds(5)
        ) {
            self.maxBodyBytes = maxBodyBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.connectionLimit = connectionLimit
            self.connectionsPerAddress = connectionsPerAddress
            self.requestTimeout = requestTimeout
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.maxStreams = maxStreams
            self.streamStallTimeout = streamStallTimeout
            self.stallMarkerGrace = stallMarkerGrace
            self.gzipMinimumBytes = gzipMinimumBytes
            self.streamBlockBytes = streamBlockBytes
            self.streamBufferBytes = streamBufferBytes
            self.threadStackBytes = threadStackBytes
            self.threads = threads
            self.deferredStopGrace = deferredStopGrace
        }

        /// Checks every limit is usable.
        ///
        /// - Throws: ``DaemonError`` (`.invalidConfiguration`) naming the bad one.
        public func validate() throws {
            let counts = [
                ("max_body_bytes", maxBodyBytes), ("max_header_bytes", maxHeaderBytes),
                ("max_connections", connectionLimit), ("max_connections_per_address", connectionsPerAddress),
                ("max_streams", maxStreams), ("idle_timeout", idleTimeoutSeconds), ("http_threads", threads),
            ]
            if let (name, value) = counts.first(where: { $0.1 < 1 }) {
                throw DaemonError(.invalidConfiguration, "\(name) is \(value); it must be at least 1")
            }
            if maxStreams >= connectionLimit {
                throw DaemonError(
                    .invalidConfiguration,
                    "max_streams (\(maxStreams)) must be below max_connections (\(connectionLimit)), so streams cannot take every connection"
                )
            }
            for (name, value) in [("request_timeout", requestTimeout), ("stream_stall_timeout", streamStallTimeout)]
            where value <= .zero {
                throw DaemonError(.invalidConfiguration, "\(name) must be positive")
            }
        }
    }

    /// Connections libmicrohttpd may hold beyond ``Configuration/connectionLimit`` while closed ones wind
    /// down (16): room for the newcomers a full listener lets in by closing a waiting connection.
    static let closingHeadroom = 16
    /// How often the guards look for requests and streams that overstayed (250 ms).
    static let sweepInterval: Duration = .milliseconds(250)

    public let configuration: Configuration
    let router: HTTPRouter
    /// Where the guards count what they refuse; `nil` counts nothing.
    let registry: MetricsRegistry?
    private let daemons = Mutex<[RunningListener]>([])
    /// Streams being sent, closed on ``stop()`` so that no connection stays parked.
    let openStreams = Mutex(OpenStreams())
    /// Deferred answers being worked on; ``stop()`` waits for them, then answers the rest 503, because
    /// libmicrohttpd cannot stop while a connection is parked.
    let pendingAnswers = Mutex(PendingAnswers())
    private let sweeper = Mutex<DispatchSemaphore?>(nil)

    /// - Parameter registry: where to count refused and closed connections
    ///   (`jobkit_http_connections_refused_total`) and open ones (`jobkit_http_connections`).
    public init(router: HTTPRouter, configuration: Configuration = Configuration(), registry: MetricsRegistry? = nil) {
        self.router = router
        self.configuration = configuration
        self.registry = registry
    }

    deinit { stop() }

    /// Starts serving `socket`.
    ///
    /// - Throws: ``DaemonError`` (`.listener`) if libmicrohttpd cannot be loaded or refuses to start,
    ///   `.invalidConfiguration` for unusable limits.
    public func listen(on socket: ListenSocket) throws {
        try configuration.validate()
        try Self.loadLibrary()
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        let guardian = ConnectionGuard(listener: socket.address, configuration: configuration, registry: registry)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let guardContext = Unmanaged.passUnretained(guardian).toOpaque()
        guard
            let daemon = cmhd_start_on_socket(
                flags, socket.descriptor, acceptPolicy, guardContext, accessHandler, context, completionHandler,
                context, connectionNotification, guardContext,
                // libmicrohttpd splits its limit among the threads, and which thread accepts is a race: each
                // may hold them all, and the guard counts them for the listener as a whole.
                UInt32((configuration.connectionLimit + Self.closingHeadroom) * configuration.threads),
                UInt32(configuration.idleTimeoutSeconds),
                // libmicrohttpd's own pool holds the head and the response headers: twice the head limit, so
                // heads up to the limit reach ``RequestHead`` and get its JSON answer.
                configuration.maxHeaderBytes * 2, configuration.threadStackBytes, UInt32(configuration.threads))
        else {
            throw DaemonError(.listener, "libmicrohttpd could not start on \(socket.address)")
        }
        daemons.withLock { $0.append(RunningListener(daemon: daemon, socket: socket, guardian: guardian)) }
        startSweeping()
    }

    /// The size of the buffer for libmicrohttpd's load error: a path and a loader message.
    static let loadErrorCapacity = 512

    /// Loads libmicrohttpd, which is opened when the first server starts rather than linked, so that
    /// processes that never serve do not load it (a client call's start-up).
    static func loadLibrary() throws {
        var buffer = [CChar](repeating: 0, count: loadErrorCapacity)
        guard cmhd_load(&buffer, buffer.count) != 0 else { return }
        let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        throw DaemonError(.listener, message)
    }

    /// Stops every listener (in-flight requests are finished, deferred ones given
    /// ``Configuration/deferredStopGrace``) and closes the sockets.
    public func stop() {
        sweeper.withLock { semaphore in
            semaphore?.signal()
            semaphore = nil
        }
        let running = daemons.withLock { list -> [RunningListener] in
            defer { list = [] }
            return list
        }
        let streams = openStreams.withLock { open -> [HTTPStream] in
            open.stopping = true
            defer { open.streams = [:] }
            return Array(open.streams.values)
        }
        for stream in streams { stream.close() }
        settlePendingAnswers()
        for listener in running {
            cmhd_stop_daemon(listener.daemon)
            listener.socket.close()
        }
    }

    /// Addresses being served.
    public var addresses: [String] { daemons.withLock { $0.map(\.socket.address) } }

    /// Open connections of the listener on `address`, by phase (awaiting a request, active, streaming).
    func connectionCounts(of address: String) -> [ConnectionGuard.Phase: Int] {
        daemons.withLock { $0.first { $0.socket.address == address } }?.guardian.counts ?? [:]
    }

    /// One thread per server looks for overstayed requests and stalled streams.
    private func startSweeping() {
        let semaphore = sweeper.withLock { current -> DispatchSemaphore? in
            guard current == nil else { return nil }
            current = DispatchSemaphore(value: 0)
            return current
        }
        guard let semaphore else { return }
        let interval = Self.sweepInterval.dispatchInterval
        NamedThread.start(name: "http-guard") { [weak self] in
            while semaphore.wait(timeout: .now() + interval) == .timedOut {
                guard let self else { return }
                for listener in self.daemons.withLock({ $0 }) { listener.guardian.sweep() }
            }
        }
    }
}

/// The streams being sent, and whether ``HTTPServer/stop()`` has begun (then no new one registers).
struct OpenStreams {
    var streams: [ObjectIdentifier: HTTPStream] = [:]
    var stopping = false
}

/// A started libmicrohttpd daemon, the socket it serves and its guard.
struct RunningListener: @unchecked Sendable {
    // @unchecked: the daemon pointer is only passed to MHD_stop_daemon, once, by whoever removed it from the list.
    let daemon: OpaquePointer
    let socket: ListenSocket
    let guardian: ConnectionGuard
}

extension Duration {
    /// The same time as Dispatch counts it, to the nanosecond.
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
