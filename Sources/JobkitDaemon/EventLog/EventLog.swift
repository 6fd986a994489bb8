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
/// concurrent writers never interleave. A crash can still cut the last line short; opening the log repairs
/// that by truncating the file after its last complete line, so no torn line survives.
public final class EventLog: Sendable {
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
    }

    public let directory: String
    public let configuration: Configuration
    /// Sequence number of the newest event in the log when it was opened (0 for an empty log).
    public let lastSeqAtOpen: UInt64
    private let state: Mutex<State>

    /// Opens (creating, and repairing a torn last line) the log in `directory`.
    ///
    /// - Throws: ``DaemonError`` if the directory or file cannot be created or opened, or the configuration
    ///   is invalid.
    public init(directory: String, configuration: Configuration = Configuration()) throws {
        guard configuration.maxBytes > 0, configuration.keep >= 0 else {
            throw DaemonError(.invalidConfiguration, "event log needs max_bytes > 0 and keep ≥ 0")
        }
        self.directory = directory
        self.configuration = configuration
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + configuration.fileName
        let size = try Self.repair(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw DaemonError.system("open", path: path) }
        self.state = Mutex(State(descriptor: descriptor, size: size))
        lastSeqAtOpen = Self.lastSeq(in: Self.paths(directory: directory, configuration: configuration))
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

    /// Writes `pending` in one `write(2)` (lines stay whole, as `O_APPEND` writes are atomic to other appenders).
    private func flush(_ pending: inout [UInt8], _ state: inout State) throws {
        guard !pending.isEmpty else { return }
        let written = pending.withUnsafeBytes { write(state.descriptor, $0.baseAddress, $0.count) }
        guard written == pending.count else { throw DaemonError.system("write", path: currentPath) }
        state.size += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    /// Events in the log with a sequence number above `seq`, oldest first, that `filter` accepts.
    ///
    /// Lines that do not decode are skipped: a line is only ever cut short by a crash, and that is repaired
    /// on open.
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
            guard state.descriptor >= 0 else { return }
            fsync(state.descriptor)
            Glibc.close(state.descriptor)
            state.descriptor = -1
        }
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
        state.descriptor = open(base, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        state.size = 0
        guard state.descriptor >= 0 else { throw DaemonError.system("open", path: base) }
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

    /// Truncates `path` after its last newline, so a line cut short by a crash disappears; returns the size.
    private static func repair(_ path: String) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        guard let last = data.last, last != UInt8(ascii: "\n") else { return data.count }
        let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        guard truncate(path, off_t(keep)) == 0 else { throw DaemonError.system("truncate", path: path) }
        return keep
    }

    /// The largest sequence number in the newest file that has any event.
    private static func lastSeq(in paths: [String]) -> UInt64 {
        let decoder = JSONDecoder()
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")).reversed() {
                if let event = try? decoder.decode(JobEvent.self, from: line) { return event.seq }
            }
        }
        return 0
    }

}
