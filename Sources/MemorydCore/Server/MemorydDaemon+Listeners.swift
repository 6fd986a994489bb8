import FoundationEssentials
import JobkitDaemon
import MemorydClient

#if canImport(Glibc)
    import Glibc
#endif

extension MemorydDaemon {
    /// Opens the TCP listener (unless `http` is off) and the Unix socket, explaining the usual failures.
    ///
    /// - Throws: ``DaemonError`` saying what to do about an address in use or an unusable socket
    ///   directory.
    func listen() throws {
        if let http = settings.http, !http.isEmpty {
            do {
                try server.listen(on: ListenSocket.tcp(http))
            } catch let error as DaemonError where error.errno == EADDRINUSE {
                let port = http.split(separator: ":").last.map(String.init) ?? ""
                throw DaemonError(
                    .invalidAddress,
                    "cannot listen on \(http): the address is in use, by another memoryd or another program (`ss -ltnp 'sport = :\(port)'` shows which); choose another with --http HOST:PORT or [daemon] http, or --http \"\" for no TCP listener",
                    errno: EADDRINUSE)
            }
        }
        let directory = Paths.directory(of: settings.socket)
        if directory == DaemonAddress.fallbackRuntimeDirectory {
            try Self.prepareFallbackRuntimeDirectory(directory)
        } else {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try server.listen(on: ListenSocket.unix(settings.socket))
    }

    /// `/tmp/memoryd-UID`, the socket's directory when `XDG_RUNTIME_DIR` is unset: created private, and
    /// refused when another user made it first (they could replace the socket).
    static func prepareFallbackRuntimeDirectory(_ directory: String) throws {
        try PrivateFiles.prepareDirectory(directory)
        var status = stat()
        guard lstat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_uid == geteuid() else {
            throw DaemonError(
                .invalidAddress,
                "\(directory) belongs to another user or is not a directory; remove it, or set XDG_RUNTIME_DIR or --socket"
            )
        }
    }
}
