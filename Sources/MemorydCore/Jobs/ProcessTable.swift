import FoundationEssentials
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The system's processes as `/proc` shows them: enough to tell whether a recorded process group still
/// has members, and that they are the ones recorded.
enum ProcessTable {
    /// One process.
    struct Entry: Sendable, Hashable {
        let pid: pid_t
        let pgid: pid_t
        /// Clock ticks after boot when it started.
        let startTicks: UInt64
        /// `R`, `S`, `D`, `Z` (a zombie: gone but not yet reaped), …
        let state: UInt8

        var isZombie: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") }
    }

    /// This boot's id, from `/proc/sys/kernel/random/boot_id`; empty if it cannot be read.
    static let bootID: String = {
        guard let bytes = read("/proc/sys/kernel/random/boot_id") else { return "" }
        return String(decoding: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }()

    /// Every process now.
    static func entries() -> [Entry] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var found: [Entry] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(name), let entry = entry(of: pid) else { continue }
            found.append(entry)
        }
        return found
    }

    /// Process `pid`, if it exists.
    static func entry(of pid: pid_t) -> Entry? {
        guard let bytes = read("/proc/\(pid)/stat") else { return nil }
        // `pid (comm) state ppid pgrp …`: the name may hold spaces and parentheses, so split after the last ')'.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // Fields from `state` (field 3 of proc(5)): pgrp is field 5, starttime field 22.
        guard fields.count > 19, let state = fields[0].first,
            let pgid = pid_t(String(decoding: fields[2], as: UTF8.self)),
            let start = UInt64(String(decoding: fields[19], as: UTF8.self))
        else { return nil }
        return Entry(pid: pid, pgid: pgid, startTicks: start, state: state)
    }

    /// Whether `pid`'s environment holds `variable` (`NAME=value`); `nil` when it cannot be read (another
    /// user's process, or gone).
    static func environment(of pid: pid_t, contains variable: String) -> Bool? {
        guard let bytes = read("/proc/\(pid)/environ") else { return nil }
        let wanted = Array(variable.utf8)
        return bytes.split(separator: 0).contains { $0.elementsEqual(wanted) }
    }

    /// A small file of `/proc`, whole.
    private static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        return try? SystemCall.readAll(descriptor, chunk: SystemCall.procFileChunk).get()
    }
}
