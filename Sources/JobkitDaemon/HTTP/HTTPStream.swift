import DequeModule
import Synchronization

/// The body of a streaming response: a producer writes chunks, the connection sends them as they come.
///
/// The producer runs as its own task. While it has nothing to send, the connection is parked (suspended
/// in libmicrohttpd) and holds no thread, so a stream that is quiet for minutes holds up nothing else; a
/// write wakes it. When the client goes away or the server stops, the stream closes: ``write(_:)``
/// returns `false` and the producer's task is cancelled.
public final class HTTPStream: Sendable {
    /// Bytes buffered before ``write(_:)`` waits for the client to catch up (64 KiB).
    public static let defaultMaxBufferedBytes = 64 << 10

    private struct State {
        var chunks: Deque<[UInt8]> = []
        var offset = 0
        var buffered = 0
        var finished = false
        var closed = false
        var waitingWriter: CheckedContinuation<Bool, Never>?
        var producer: Task<Void, Never>?
        /// Since when the buffer has been over its limit (the client is not reading).
        var fullSince: ContinuousClock.Instant?
        /// Sent in place of what is buffered when the stream is closed for a stalled client.
        var stallMarker: [UInt8] = []
        /// Whether the reader parked its connection and waits for ``Parking/resume``.
        var readerParked = false
    }

    /// How the reader's connection waits for bytes without holding a thread: `park` is called when the
    /// reader finds nothing to send, `resume` once there is something (or the stream ends). Both are
    /// called under the stream's lock, so a resume always follows its park.
    struct Parking: Sendable {
        let park: @Sendable () -> Void
        let resume: @Sendable () -> Void
    }

    /// Bytes buffered before ``write(_:)`` waits.
    public let maxBufferedBytes: Int
    private let state = Mutex(State())
    private let parking: Parking

    init(maxBufferedBytes: Int = defaultMaxBufferedBytes, parking: Parking) {
        self.maxBufferedBytes = maxBufferedBytes
        self.parking = parking
    }

    /// Brings the reader's connection back if it is parked; call with the lock held.
    private func wakeReader(_ state: inout State) {
        guard state.readerParked else { return }
        state.readerParked = false
        parking.resume()
    }

    /// Queues `bytes` for the client, waiting while more than ``maxBufferedBytes`` are unsent.
    ///
    /// - Returns: `false` once the stream is closed (client gone or server stopping); stop producing then.
    @discardableResult
    public func write(_ bytes: [UInt8]) async -> Bool {
        guard !bytes.isEmpty else { return !isClosed }
        let queued = state.withLock { state -> Bool? in
            guard !state.closed, !state.finished else { return false }
            state.chunks.append(bytes)
            state.buffered += bytes.count
            wakeReader(&state)
            if state.buffered <= maxBufferedBytes { return true }
            if state.fullSince == nil { state.fullSince = .now }
            return nil
        }
        if let queued { return queued }
        return await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool? in
                if state.closed { return false }
                if state.buffered <= maxBufferedBytes { return true }
                state.waitingWriter = continuation
                return nil
            }
            if let resumeNow { continuation.resume(returning: resumeNow) }
        }
    }

    /// Ends the response after the buffered bytes are sent.
    public func finish() {
        state.withLock { state in
            state.finished = true
            wakeReader(&state)
        }
    }

    /// Whether the client has gone or the server is stopping.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Sets what the client gets last if the server closes the stream because the client stopped reading
    /// (an NDJSON line or an SSE event saying so); by default nothing.
    public func setStallMarker(_ bytes: [UInt8]) {
        state.withLock { $0.stallMarker = bytes }
    }

    /// Since when the client has not kept up: the buffer is over ``maxBufferedBytes``; `nil` while it is not.
    var stalledSince: ContinuousClock.Instant? { state.withLock { $0.fullSince } }

    /// Ends the stream for a client that stopped reading: what is buffered is dropped, the stall marker
    /// is the last thing sent, and the producer is told to stop.
    func closeStalled() {
        let (writer, producer) = state.withLock { state in
            state.chunks.removeAll()
            state.offset = 0
            state.buffered = 0
            state.fullSince = nil
            if !state.stallMarker.isEmpty {
                state.chunks.append(state.stallMarker)
                state.buffered = state.stallMarker.count
            }
            state.finished = true
            wakeReader(&state)
            defer { state.waitingWriter = nil }
            return (state.waitingWriter, state.producer)
        }
        writer?.resume(returning: false)
        producer?.cancel()
    }

    // MARK: - Server side

    /// Starts `producer` on a task that is cancelled when the stream closes; the stream finishes when it returns.
    func start(_ producer: @escaping @Sendable (HTTPStream) async -> Void) {
        let task = Task { [self] in
            await producer(self)
            finish()
        }
        let closedAlready = state.withLock { state -> Bool in
            state.producer = task
            return state.closed
        }
        if closedAlready { task.cancel() }
    }

    /// Copies up to `buffer.count` bytes into `buffer`; with none buffered it parks the connection and
    /// returns 0, to be called again once the connection is back.
    ///
    /// - Returns: the number of bytes copied, or `nil` when the stream has ended or closed.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let outcome = state.withLock { state -> (count: Int?, writer: CheckedContinuation<Bool, Never>?) in
            if state.closed { return (nil, nil) }
            guard let first = state.chunks.first else {
                if state.finished { return (nil, nil) }
                state.readerParked = true
                parking.park()
                return (0, nil)
            }
            let count = min(buffer.count, first.count - state.offset)
            first.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + state.offset, byteCount: count)
            }
            state.offset += count
            state.buffered -= count
            if state.offset == first.count {
                state.chunks.removeFirst()
                state.offset = 0
            }
            var writer: CheckedContinuation<Bool, Never>?
            if state.buffered <= maxBufferedBytes {
                writer = state.waitingWriter
                state.waitingWriter = nil
                state.fullSince = nil
            }
            return (count, writer)
        }
        outcome.writer?.resume(returning: true)
        return outcome.count
    }

    /// Closes the stream: the reader returns, a waiting writer resumes with `false`, the producer is cancelled.
    func close() {
        let (writer, producer) = state.withLock { state in
            state.closed = true
            state.chunks.removeAll()
            state.buffered = 0
            wakeReader(&state)
            defer { state.waitingWriter = nil }
            return (state.waitingWriter, state.producer)
        }
        writer?.resume(returning: false)
        producer?.cancel()
    }
}
