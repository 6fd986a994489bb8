import FoundationEssentials
import JobkitDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// `memoryd run --reset-state`: the state directory's contents are moved aside, never deleted, and the
/// daemon starts empty.
enum StateReset {
    /// Prefix of the folder the previous state is moved into (`previous-20261202T071500`).
    static let folderPrefix = "previous-"

    /// Moves every entry of `directory` except `keeping` and earlier set-aside folders into a new private
    /// folder in it; returns what it did, for the operator.
    ///
    /// - Throws: ``DaemonError`` when the folder cannot be created or an entry cannot be moved.
    static func setAside(_ directory: String, keeping: Set<String>) throws -> [String] {
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            !keeping.contains($0) && !$0.hasPrefix(folderPrefix)
        }
        guard !entries.isEmpty else { return ["--reset-state: the state directory was empty"] }
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
            .filter { $0.isNumber || $0 == "T" }
        var folder = directory + "/" + folderPrefix + stamp
        var suffix = 1
        while FileManager.default.fileExists(atPath: folder) {
            suffix += 1
            folder = directory + "/" + folderPrefix + stamp + "-\(suffix)"
        }
        try PrivateFiles.prepareDirectory(folder)
        for entry in entries.sorted() {
            guard rename(directory + "/" + entry, folder + "/" + entry) == 0 else {
                throw DaemonError(
                    .system, "--reset-state: cannot move \(directory)/\(entry): \(String(cString: strerror(errno)))")
            }
        }
        return ["--reset-state: moved the previous state (\(entries.sorted().joined(separator: ", "))) to \(folder)"]
    }
}
