import FoundationEssentials
import Jobkit
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What opening an event log finds in its files: torn lines removed, the newest sequence number checked.
enum LogFiles {
    struct Opened {
        /// Size of the current file after repair.
        var currentSize: Int
        var lastSeq: UInt64
        /// The task of the newest event that names one (0 for none).
        var lastTaskID: UInt64
        var repairs: [String]
    }

    /// Checks every line of every file (`paths`, newest first), rewriting a file without its torn lines.
    ///
    /// - Throws: ``DaemonError`` `.damagedState` when a file cannot be read, or the newest event does not
    ///   decode or is out of range.
    static func check(_ paths: [String]) throws -> Opened {
        var opened = Opened(currentSize: 0, lastSeq: 0, lastTaskID: 0, repairs: [])
        var foundNewest = false
        for (index, path) in paths.enumerated() {
            guard var bytes = try read(path) else { continue }
            let (kept, removed) = wholeLines(of: bytes)
            if removed > 0 {
                bytes = kept
                try rewrite(path, with: bytes)
                let name = path.split(separator: "/").last.map(String.init) ?? path
                opened.repairs.append("removed \(removed) torn line\(removed == 1 ? "" : "s") from \(name)")
            }
            if index == 0 { opened.currentSize = bytes.count }
            if !foundNewest, let seq = try newestSeq(in: bytes, path: path) {
                opened.lastSeq = seq
                foundNewest = true
            }
            if opened.lastTaskID == 0 { opened.lastTaskID = newestTaskID(in: bytes) }
        }
        return opened
    }

    /// The whole file, or `nil` if it does not exist.
    private static func read(_ path: String) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw unreadable(path, errno)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw unreadable(path, errno) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw DaemonError(
                .damagedState,
                "the event log \(path) is not a regular file; move it aside or start with --reset-state")
        }
        switch SystemCall.readAll(descriptor) {
        case .success(let bytes): return bytes
        case .failure(let error): throw unreadable(path, error.code)
        }
    }

    private static func unreadable(_ path: String, _ code: Int32) -> DaemonError {
        DaemonError(
            .damagedState,
            "cannot read the event log \(path): \(String(cString: strerror(code))); fix its permissions or start with --reset-state to set it aside",
            errno: code)
    }

    /// The lines that are whole JSON objects ending in a newline, and how many others there were.
    static func wholeLines(of bytes: [UInt8]) -> (kept: [UInt8], removed: Int) {
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var removed = 0
        var start = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                removed += 1
                break
            }
            let line = bytes[start..<newline]
            if line.isEmpty {
                // An empty line is harmless but not an event; drop it quietly.
            } else if JSONSyntax.isObject(line) {
                kept += bytes[start...newline]
            } else {
                removed += 1
            }
            start = newline + 1
        }
        return (kept, removed)
    }

    /// Replaces `path` with `bytes`: a private temporary file, fsync, rename.
    private static func rewrite(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".repair"
        let descriptor = try PrivateFiles.open(temporary, flags: O_WRONLY | O_TRUNC)
        defer { close(descriptor) }
        if let code = SystemCall.writeAll(bytes, to: descriptor) {
            errno = code
            throw DaemonError.system("write", path: temporary)
        }
        guard fsync(descriptor) == 0 else { throw DaemonError.system("fsync", path: temporary) }
        try syscall("rename", path: path) { rename(temporary, path) }
    }

    /// The sequence number of the last line, which must be an event within range; `nil` for no lines.
    private static func newestSeq(in bytes: [UInt8], path: String) throws -> UInt64? {
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return nil }
        let start = bytes[..<lastNewline].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let lineNumber = bytes[..<start].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } + 1
        let line = bytes[start..<lastNewline]
        let damaged = { (reason: String) in
            DaemonError(
                .damagedState,
                "\(path):\(lineNumber): \(reason); the log cannot be continued. Move it aside or start with --reset-state"
            )
        }
        guard let event = try? JSONDecoder().decode(JobEvent.self, from: Data(line)) else {
            if let seq = seqText(in: line), UInt64(seq) == nil || seq.hasPrefix("-") {
                throw damaged(
                    "sequence number \(seq) is out of range (1 to \(EventStream.Configuration.maximumSeq), 2^53 − 1)")
            }
            throw damaged("the newest line is not an event with a sequence number")
        }
        guard event.seq >= 1, event.seq <= EventStream.Configuration.maximumSeq else {
            throw damaged(
                "sequence number \(event.seq) is out of range (1 to \(EventStream.Configuration.maximumSeq), 2^53 − 1)")
        }
        return event.seq
    }

    /// The task of the newest line of `bytes` that names one, 0 for none: lines are read from the end,
    /// each only as far as its `task` member.
    private static func newestTaskID(in bytes: [UInt8]) -> UInt64 {
        var end = bytes.endIndex
        while end > bytes.startIndex {
            let start = bytes[..<(end - 1)].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.startIndex
            if let text = JSONMember.string("task", in: Array(bytes[start..<end])), let id = TaskID(text) {
                return id.rawValue
            }
            end = start
        }
        return 0
    }

    /// The text of the `seq` member of a line, as written.
    private static func seqText(in line: ArraySlice<UInt8>) -> String? {
        let key = Array(#""seq":"#.utf8)
        var index = line.startIndex
        while index + key.count <= line.endIndex {
            if line[index..<index + key.count].elementsEqual(key) {
                let value = line[(index + key.count)...].prefix { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "}") }
                return String(decoding: value.filter { $0 != UInt8(ascii: " ") }, as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}
