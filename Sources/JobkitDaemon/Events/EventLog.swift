import FoundationEssentials
public import Jobkit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's event log: one JSON event per line in `events.jsonl`, rotated by size into
/// `events.jsonl.1` … `events.jsonl.KEEP` (oldest last).
///
/// Each line goes to the file in one `write(2)` on a descriptor opened with `O_APPEND`, so lines from
/// concurrent writers never interleave. A write cut short (disk full) is undone at once by truncating back
/// to the last whole line. A crash can still leave a torn line; opening the log checks every line of every
/// file and removes the torn ones, so none survives. Files are private to the daemon's user (0600).
public final class EventLog: Sendable {
    /// Most events written in one `write(2)` by ``record(_:batchLimit:failed:)`` unless told otherwise.
    public static let defaultBatchLimit = 1024

    /// Size and retention, each with a documented default.
    public struct Configuration: Sendable, Hashable {
        /// Bytes a file may reach before it is rotated (1 MiB).
        public var maxBytes: Int
        /// Rotated files kept besides the current one (5).
        public var keep: Int
        /// Name of the current file (`events.jsonl`).
        public var fileName: String

        public init(maxBytes: Int = 1 << 20, keep: Int = 5, fileName: String = "events.jsonl") {
            self.maxBytes = maxBytes
            self.keep = keep
            self.fileName = fileName
        }
    }

    private struct State {
        var descriptor: Int32
        var size: Int
        /// Why the last write failed, until one succeeds again.
        var failure: String?
        /// Set by ``close()``: appends fail from then on.
        var closed = false
    }

    public let directory: String
    public let configuration: Configuration
    /// Sequence number of the newest event in the log when it was opened (0 for an empty log).
    public let lastSeqAtOpen: UInt64
    /// The task of the newest event in the log that names one, when it was opened (0 for none): a
    /// daemon's new task ids start above it, so an id in the log names one task.
    public let lastTaskIDAtOpen: UInt64
    /// What opening the log repaired, one line per file (`removed 1 torn line from events.jsonl`).
    public let repairs: [String]
    private let state: Mutex<State>

    /// Opens the log in `directory`, creating it, and removing lines a crash or a failed write left torn.
    ///
    /// - Throws: ``DaemonError``: `.damagedState` for a log file that cannot be read or whose newest event
    ///   does not decode or has a sequence number above ``EventStream/Configuration/maximumSeq`` (the
    ///   message names file and line); `.system` when a file cannot be created or opened;
    ///   `.invalidConfiguration` for a bad configuration.
    public init(directory: String, configuration: Configuration = Configuration()) throws {
        guard configuration.maxBytes > 0, configuration.keep >= 0 else {
            throw DaemonError(.invalidConfiguration, "event log needs max_bytes > 0 and keep ≥ 0")
        }
        self.directory = directory
        self.configuration = configuration
        try PrivateFiles.prepareDirectory(directory)
        let opened = try LogFiles.check(Self.paths(directory: directory, configuration: configuration))
        let path = directory + "/" + configuration.fileName
        let descriptor = try PrivateFiles.open(path, flags: O_WRONLY | O_APPEND)
        self.state = Mutex(State(descriptor: descriptor, size: opened.currentSize))
        lastSeqAtOpen = opened.lastSeq
        lastTaskIDAtOpen = opened.lastTaskID
        repairs = opened.repairs
    }

    deinit { close() }

    /// Appends one event as a JSON line, rotating first if the line would take the file past ``Configuration/maxBytes``.
    ///
    /// - Throws: ``DaemonError`` if the write fails (disk full, file removed under us).
    public func append(_ event: JobEvent) throws {
        try append(contentsOf: [event])
    }

    /// Appends events as JSON lines with as few writes as rotation allows (one, usually).
    ///
    /// - Throws: ``DaemonError`` if a write fails (disk full, file removed under us).
    public func append(contentsOf events: [JobEvent]) throws {
        try state.withLock { state in
            if state.descriptor < 0 { try reopen(&state) }
            var pending: [UInt8] = []
            var line: [UInt8] = []
            for event in events {
                line.removeAll(keepingCapacity: true)
                event.appendJSONLine(to: &line)
                if state.size + pending.count > 0, state.size + pending.count + line.count > configuration.maxBytes {
                    try flush(&pending, &state)
                    if state.size > 0 { try rotate(&state) }
                }
                pending += line
            }
            try flush(&pending, &state)
        }
    }

    /// Writes `pending` in one `write(2)` (lines stay whole, as `O_APPEND` writes are atomic to other
    /// appenders). A write cut short is undone: the file is truncated back to its last whole line.
    private func flush(_ pending: inout [UInt8], _ state: inout State) throws {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        let written = pending.withUnsafeBytes { write(state.descriptor, $0.baseAddress, $0.count) }
        guard written == pending.count else {
            let error = DaemonError.system("write", path: currentPath, errno: written < 0 ? errno : ENOSPC)
            if written != 0, ftruncate(state.descriptor, off_t(state.size)) != 0 {
                // Could not undo it: the next open removes the torn line.
                var status = stat()
                if fstat(state.descriptor, &status) == 0 { state.size = Int(status.st_size) }
            }
            state.failure = error.message
            throw error
        }
        state.size += pending.count
        state.failure = nil
    }

    /// Why appending failed the last time it was tried (disk full, file removed), or `nil` while it works.
    public var writeFailure: String? { state.withLock { $0.failure } }

    /// Events in the log with a sequence number above `seq`, oldest first, that `filter` accepts.
    ///
    /// Lines that do not decode are skipped: torn lines are undone when written or removed on open.
    public func events(after seq: UInt64, where filter: (JobEvent) -> Bool = { _ in true }) -> [JobEvent] {
        let decoder = JSONDecoder()
        var found: [JobEvent] = []
        for path in Self.paths(directory: directory, configuration: configuration).reversed() {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let event = try? decoder.decode(JobEvent.self, from: line), event.seq > seq, filter(event)
                else { continue }
                found.append(event)
            }
        }
        return found
    }

    /// Flushes the current file to disk and closes it; later appends fail.
    public func close() {
        state.withLock { state in
            state.closed = true
            guard state.descriptor >= 0 else { return }
            fsync(state.descriptor)
            Glibc.close(state.descriptor)
            state.descriptor = -1
        }
    }

    /// Opens the current file again after a rotation could not create it.
    private func reopen(_ state: inout State) throws {
        guard !state.closed else { throw DaemonError(.system, "the event log is closed") }
        do {
            state.descriptor = try PrivateFiles.open(currentPath, flags: O_WRONLY | O_APPEND)
        } catch let error as DaemonError {
            state.failure = error.message
            throw error
        }
        var status = stat()
        state.size = fstat(state.descriptor, &status) == 0 ? Int(status.st_size) : 0
    }

    // MARK: - Files

    private var currentPath: String { directory + "/" + configuration.fileName }

    /// Shifts `events.jsonl.N` to `N+1` (dropping the oldest), the current file to `.1`, and starts a new one.
    private func rotate(_ state: inout State) throws {
        fsync(state.descriptor)
        Glibc.close(state.descriptor)
        let base = currentPath
        if configuration.keep == 0 {
            unlink(base)
        } else {
            unlink("\(base).\(configuration.keep)")
            for index in stride(from: configuration.keep - 1, through: 1, by: -1) {
                rename("\(base).\(index)", "\(base).\(index + 1)")
            }
            rename(base, "\(base).1")
        }
        state.size = 0
        do {
            state.descriptor = try PrivateFiles.open(base, flags: O_WRONLY | O_APPEND)
        } catch let error as DaemonError {
            state.descriptor = -1
            state.failure = error.message
            throw error
        }
    }

    /// The log's files, newest first: the current one, then `.1`, `.2`, … as far as they exist.
    static func paths(directory: String, configuration: Configuration) -> [String] {
        let base = directory + "/" + configuration.fileName
        var paths = [base]
        for index in 1...max(configuration.keep, 1) where FileManager.default.fileExists(atPath: "\(base).\(index)") {
            paths.append("\(base).\(index)")
        }
        return paths
    }

    /// Writes every event of `subscription` to the log, in batches as they come, until the subscription
    /// ends (cancel it to stop, and this returns once what it buffered is written). Subscribe before the
    /// scheduler runs, and run this where it may block on the disk (a ``ThreadTaskExecutor``).
    ///
    /// - Parameter failed: told how many events each failed write lost (a full disk, say).
    public func record(
        _ subscription: EventSubscription, batchLimit: Int = defaultBatchLimit, failed: (Int) -> Void = { _ in }
    ) async {
        await subscription.writeBatches(upTo: batchLimit, failed: failed) { try append(contentsOf: $0) }
    }
}
