import JobkitMetrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps one listener reachable under floods of idle connections, slow requests and readers that stop
/// reading, so `/metrics` and `/healthz` answer whatever a local user does.
///
/// - A connection has ``HTTPServer/Configuration/requestTimeout`` for a whole request (head and body) to
///   arrive, counted from its accept or from the end of its previous response; past it, it is closed.
/// - At most ``HTTPServer/Configuration/connectionLimit`` connections per listener, and on TCP at most
///   ``HTTPServer/Configuration/connectionsPerAddress`` from one address. When a new connection would go
///   over, the connection that has waited longest for a request is closed to make room (an idle or slow
///   one: a connection being served is never closed for a newcomer); only when none waits is the newcomer
///   refused. A client that sends its request at once (a scrape, a probe) therefore always gets in.
/// - At most ``HTTPServer/Configuration/maxStreams`` streaming responses per listener; more get 503.
///   A stream whose buffer stays full for ``HTTPServer/Configuration/streamStallTimeout`` is closed with
///   its stall marker.
///
/// Whatever is refused or closed is counted in `jobkit_http_connections_refused_total{listener,reason}`,
/// never printed per connection.
final class ConnectionGuard: Sendable {
    /// Where a connection is.
    enum Phase: Sendable, Equatable {
        /// Accepted or kept alive: its next request has not arrived whole.
        case awaitingRequest
        /// A handler is answering it.
        case active
        /// It carries a streaming response.
        case streaming
    }

    /// Why a connection was refused or closed, as the metric labels it.
    enum Reason: String, Sendable, CaseIterable {
        case connectionLimit = "connection_limit"
        case addressLimit = "per_address_limit"
        case evicted
        case requestTimeout = "request_timeout"
        case streamLimit = "stream_limit"
        case streamStalled = "stream_stalled"
    }

    /// One connection, tracked from its accept to its close. Its fields change only under the guard's lock.
    final class Connection: @unchecked Sendable {
        // @unchecked: every var is read and written with `ConnectionGuard.state` locked.
        let descriptor: Int32
        let address: String?
        /// Who is on the other end, read once at the accept (credentials do not change on a connection).
        let peer: HTTPPeer
        /// The guard that tracks it (libmicrohttpd's callbacks reach the guard through the connection).
        let owner: ConnectionGuard
        var phase = Phase.awaitingRequest
        var since: ContinuousClock.Instant
        var stream: HTTPStream?
        /// When a stalled stream's connection is shut if it has not ended by itself.
        var shutAt: ContinuousClock.Instant?
        /// Shut down already; waiting for libmicrohttpd to close it.
        var shut = false

        init(
            descriptor: Int32, address: String?, peer: HTTPPeer = .unknown, owner: ConnectionGuard,
            since: ContinuousClock.Instant
        ) {
            self.descriptor = descriptor
            self.address = address
            self.peer = peer
            self.owner = owner
            self.since = since
        }
    }

    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        var byAddress: [String: Int] = [:]
        var streams = 0
    }

    let listener: String
    let configuration: HTTPServer.Configuration
    private let state = Mutex(State())
    private let refused: [Reason: Counter]
    private let open: [Phase: Gauge]

    init(listener: String, configuration: HTTPServer.Configuration, registry: MetricsRegistry?) {
        self.listener = listener
        self.configuration = configuration
        let refusals = try? registry?.counter(
            "jobkit_http_connections_refused_total",
            help: "HTTP connections refused or closed to keep the listener reachable, by listener and reason.",
            labelNames: ["listener", "reason"])
        refused = Dictionary(
            uniqueKeysWithValues: Reason.allCases.compactMap { reason in
                (try? refusals?.labels(listener, reason.rawValue)).map { (reason, $0) }
            })
        let gauges = try? registry?.gauge(
            "jobkit_http_connections", help: "Open HTTP connections, by listener and state.",
            labelNames: ["listener", "state"])
        let names: [Phase: String] = [.awaitingRequest: "awaiting_request", .active: "active", .streaming: "streaming"]
        open = Dictionary(
            uniqueKeysWithValues: names.compactMap { phase, name in
                (try? gauges?.labels(listener, name)).map { (phase, $0) }
            })
    }

    // MARK: - libmicrohttpd's calls

    /// A connection from `address` was accepted; `true` lets it in (after making room if needed).
    func admit(address: String?) -> Bool {
        let (admitted, reason) = state.withLock { state -> (Bool, Reason?) in
            let live = state.connections.values.filter { !$0.shut }
            if let address {
                let fromAddress = live.filter { $0.address == address }
                if fromAddress.count >= configuration.connectionsPerAddress {
                    guard let oldest = Self.oldestWaiting(fromAddress) else { return (false, .addressLimit) }
                    Self.shut(oldest)
                    return (true, .evicted)
                }
            }
            if live.count >= configuration.connectionLimit {
                guard let oldest = Self.oldestWaiting(live) else { return (false, .connectionLimit) }
                Self.shut(oldest)
                return (true, .evicted)
            }
            return (true, nil)
        }
        if let reason { refused[reason]?.increment() }
        return admitted
    }

    /// libmicrohttpd started serving a connection on `descriptor`, from `peer`.
    func opened(descriptor: Int32, address: String?, peer: HTTPPeer = .unknown) -> Connection {
        let connection = Connection(descriptor: descriptor, address: address, peer: peer, owner: self, since: .now)
        state.withLock { state in
            state.connections[ObjectIdentifier(connection)] = connection
            if let address { state.byAddress[address, default: 0] += 1 }
        }
        open[.awaitingRequest]?.increment()
        return connection
    }

    /// Most unread request bytes discarded before a connection's socket is closed (1 MiB).
    static let drainLimit = 1 << 20

    /// libmicrohttpd is about to close the connection's socket.
    ///
    /// What the client sent and nobody read (the body of a request refused from its head) is read and
    /// dropped first, without waiting: closing a socket with unread data resets the connection, and the
    /// client would lose the answer it was sent.
    func closed(_ connection: Connection) {
        Self.drain(connection.descriptor)
        let phase = state.withLock { state -> Phase in
            state.connections[ObjectIdentifier(connection)] = nil
            if let address = connection.address {
                state.byAddress[address, default: 1] -= 1
                if state.byAddress[address] == 0 { state.byAddress[address] = nil }
            }
            if connection.phase == .streaming { state.streams -= 1 }
            connection.shut = true
            return connection.phase
        }
        open[phase]?.decrement()
    }

    /// A whole request arrived and a handler answers it.
    func requestArrived(_ connection: Connection) { move(connection, to: .active) }

    /// The response was sent (or abandoned); the connection waits for its next request.
    func requestEnded(_ connection: Connection) { move(connection, to: .awaitingRequest) }

    /// `stream` is about to be sent on `connection`; `false` when the listener has its most streams.
    func startStream(_ stream: HTTPStream, on connection: Connection) -> Bool {
        let started = state.withLock { state -> Bool in
            guard state.streams < configuration.maxStreams else { return false }
            state.streams += 1
            connection.stream = stream
            return true
        }
        if started {
            // The kernel's buffer for a stream is capped like the stream's own, so a reader that stops
            // costs little memory and is noticed soon (loopback buffers otherwise grow to megabytes).
            var size = Int32(clamping: configuration.streamBufferBytes)
            setsockopt(connection.descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            move(connection, to: .streaming)
        } else {
            refused[.streamLimit]?.increment()
        }
        return started
    }

    /// Closes what has overstayed: requests that did not arrive in time, streams nobody reads.
    func sweep(now: ContinuousClock.Instant = .now) {
        var timedOut = 0
        var stalled: [HTTPStream] = []
        state.withLock { state in
            for connection in state.connections.values where !connection.shut {
                switch connection.phase {
                case .awaitingRequest:
                    if now - connection.since >= configuration.requestTimeout {
                        Self.shut(connection)
                        timedOut += 1
                    }
                case .streaming:
                    if let shutAt = connection.shutAt {
                        if now >= shutAt { Self.shut(connection) }
                    } else if let stream = connection.stream, let since = stream.stalledSince,
                        now - since >= configuration.streamStallTimeout
                    {
                        stalled.append(stream)
                        connection.shutAt = now + configuration.stallMarkerGrace
                    }
                case .active:
                    continue
                }
            }
        }
        for stream in stalled { stream.closeStalled() }
        if timedOut > 0 { refused[.requestTimeout]?.increment(by: UInt64(timedOut)) }
        if !stalled.isEmpty { refused[.streamStalled]?.increment(by: UInt64(stalled.count)) }
    }

    /// Connections now, by phase (for tests and the gauges).
    var counts: [Phase: Int] {
        state.withLock { state in
            Dictionary(grouping: state.connections.values.filter { !$0.shut }, by: \.phase).mapValues(\.count)
        }
    }

    // MARK: - Helpers

    private func move(_ connection: Connection, to phase: Phase) {
        let previous = state.withLock { state -> Phase? in
            guard connection.phase != phase, state.connections[ObjectIdentifier(connection)] != nil else { return nil }
            let previous = connection.phase
            if previous == .streaming {
                state.streams -= 1
                connection.stream = nil
                connection.shutAt = nil
            }
            connection.phase = phase
            connection.since = .now
            return previous
        }
        guard let previous else { return }
        open[previous]?.decrement()
        open[phase]?.increment()
    }

    /// Reads and drops what is already waiting on `descriptor`, up to ``drainLimit`` bytes.
    private static func drain(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var total = 0
        while total < drainLimit {
            let count = buffer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            guard count > 0 else { return }
            total += count
        }
    }

    /// The connection among `candidates` that has waited longest for a request.
    private static func oldestWaiting(_ candidates: [Connection]) -> Connection? {
        candidates.filter { $0.phase == .awaitingRequest }.min { $0.since < $1.since }
    }

    /// Shuts `connection`'s socket down so libmicrohttpd closes it; must be called with the state locked,
    /// which ``closed(_:)`` also needs, so the descriptor is still this connection's.
    private static func shut(_ connection: Connection) {
        connection.shut = true
        shutdown(connection.descriptor, Int32(SHUT_RDWR))
    }
}

extension ConnectionGuard {
    /// The key per-address limits count by: the IP address of a TCP peer, `nil` for a Unix socket.
    static func addressKey(_ address: UnsafePointer<sockaddr>?) -> String? {
        guard let address else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                var bytes = inet.pointee.sin_addr
                guard inet_ntop(AF_INET, &bytes, &text, socklen_t(text.count)) != nil else { return nil }
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet6 in
                var bytes = inet6.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count)) != nil else { return nil }
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        default:
            return nil
        }
    }
}
