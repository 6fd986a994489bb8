import CJobkitDaemonSupport
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Turns POSIX signals into an async wait: a handler writes each one to a pipe, whichever thread the
/// kernel delivers it to, and the pipe is read on a dispatch queue.
///
/// Signals are kept from the moment of `init`, so one sent before anything calls ``next()`` is not lost:
/// make it first thing, and a `systemctl stop` that comes while the daemon starts stops it once it is
/// ready.
///
/// ```swift
/// let termination = SignalWatcher(signals: [SIGTERM, SIGINT])
/// …                                    // start up
/// _ = await termination.next()         // then wait, and shut down
/// ```
public final class SignalWatcher: @unchecked Sendable {
    // @unchecked: `source` and the descriptors are set in init and only kept alive afterwards.
    private let stream: AsyncStream<Int32>
    private let source: any DispatchSourceRead
    private let readEnd: Int32
    private let writeEnd: Int32

    /// Starts keeping `signals` (their handlers are replaced for the rest of the process's life).
    public init(signals: [Int32]) {
        var ends: [Int32] = [-1, -1]
        // Without a pipe the daemon could not be stopped by a signal: nothing sensible can go on.
        precondition(jds_pipe_cloexec(&ends) == 0, "cannot create the signal pipe")
        (readEnd, writeEnd) = (ends[0], ends[1])
        // A handler must never block: a full pipe drops the byte, and the reader has signals to read anyway.
        for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        let readEnd = self.readEnd
        source = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: .global())
        source.setEventHandler {
            var bytes = [UInt8](repeating: 0, count: 64)
            let count = bytes.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            for byte in bytes.prefix(max(0, count)) { continuation.yield(Int32(byte)) }
        }
        source.resume()
        for number in signals {
            let installed = jds_signal_to_pipe(number, writeEnd)
            precondition(installed == 0, "cannot handle signal \(number): \(String(cString: strerror(-installed)))")
        }
    }

    /// The next signal received; `nil` once the calling task is cancelled.
    public func next() async -> Int32? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }
}
