#if canImport(Glibc)
    import Glibc
#endif

/// A daemon's state kept private to its user: the directory 0700 and every file in it 0600, whatever
/// the umask. Task parameters, output and the queue live there.
public enum PrivateFiles {
    /// Mode of a state directory: only its owner may list or enter it.
    public static let directoryMode: UInt32 = 0o700
    /// Mode of every file in it: only its owner may read or write it.
    public static let fileMode: UInt32 = 0o600

    /// Creates `path` (with any missing parents) as a private directory, or makes an existing one this
    /// user owns private.
    ///
    /// - Returns: what was changed on an existing directory, for the operator (`nil` when nothing was).
    /// - Throws: ``DaemonError`` when the directory cannot be created or is not a directory.
    @discardableResult
    public static func prepareDirectory(_ path: String) throws -> String? {
        var status = stat()
        if stat(path, &status) != 0 {
            guard errno == ENOENT else { throw DaemonError.system("stat", path: path) }
            try createParents(of: path)
            if mkdir(path, directoryMode) != 0 && errno != EEXIST { throw DaemonError.system("mkdir", path: path) }
            // mkdir honours the umask, which may take bits away; the owner's must stay.
            try syscall("chmod", path: path) { chmod(path, directoryMode) }
            return nil
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw DaemonError(.invalidConfiguration, "\(path) exists and is not a directory")
        }
        guard status.st_uid == geteuid(), status.st_mode & 0o7777 != directoryMode else { return nil }
        try syscall("chmod", path: path) { chmod(path, directoryMode) }
        return "made \(path) private (mode \(String(status.st_mode & 0o7777, radix: 8)) → 700)"
    }

    /// Opens `path` for writing with `flags`, creating it private; an existing file becomes private too.
    ///
    /// - Returns: the descriptor (close-on-exec).
    /// - Throws: ``DaemonError`` when it cannot be opened.
    public static func open(_ path: String, flags: Int32) throws -> Int32 {
        let descriptor = Glibc.open(path, flags | O_CREAT | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else { throw DaemonError.system("open", path: path) }
        _ = fchmod(descriptor, fileMode)
        return descriptor
    }

    /// Makes every regular file directly in `directory` that this user owns private (files an earlier
    /// version left readable by others).
    ///
    /// - Returns: the names of the files that changed.
    @discardableResult
    public static func restrictFiles(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var changed: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            let path = directory + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid(),
                status.st_mode & 0o7777 != fileMode
            else { continue }
            if chmod(path, fileMode) == 0 { changed.append(name) }
        }
        return changed.sorted()
    }

    private static func createParents(of path: String) throws {
        var prefix = ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        for part in parts {
            prefix += (path.hasPrefix("/") || !prefix.isEmpty ? "/" : "") + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw DaemonError.system("mkdir", path: prefix) }
        }
    }
}
