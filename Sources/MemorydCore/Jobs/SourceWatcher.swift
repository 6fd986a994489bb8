import FoundationEssentials
import Jobkit

#if canImport(Glibc)
    import Glibc
#endif

/// Watches the config's sources: each new file in a source's directory whose name matches its glob
/// starts one run of the source's job, with the file's path as parameter `file`.
///
/// Directories are scanned when the daemon starts and then every ``scanInterval``. Files already handled
/// are remembered in the queue's database, so a restart neither repeats them nor misses files that
/// appeared while the daemon was down. A file is "new" by its path: rewriting a handled file does not
/// start another run. A file is recorded after its run was recorded, so a crash in between runs it twice
/// rather than never (at least once).
struct SourceWatcher: Sendable {
    /// Default time between scans (2 s).
    static let defaultScanInterval: Duration = .seconds(2)

    let pipeline: PipelineRunner
    let store: TaskStore
    let scanInterval: Duration

    /// Scans now and then every ``scanInterval`` until cancelled.
    func run(onError: @escaping @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            scanOnce(onError: onError)
            guard (try? await pipeline.scheduler.clock.sleep(for: scanInterval)) != nil else { return }
        }
    }

    /// Starts a run for every new matching file of every source; returns how many were started.
    @discardableResult
    func scanOnce(onError: (String) -> Void = { _ in }) -> Int {
        var started = 0
        for source in pipeline.config.sources {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: source.directory).sorted()
            } catch {
                // A directory that does not exist yet is normal; anything else is worth saying.
                if FileManager.default.fileExists(atPath: source.directory) {
                    onError("source \(source.name): cannot list \(source.directory): \(error)")
                }
                continue
            }
            let handled: Set<String>
            do {
                handled = try store.handledFiles(of: source.name)
            } catch {
                onError("source \(source.name): \(error)")
                continue
            }
            // A paused job with paused_triggers = "drop" leaves its new files where they are, to be taken
            // once it is resumed.
            if pipeline.config.job(source.job)?.pausedTriggers == .drop,
                pipeline.scheduler.pausedJobTypes().contains(source.job)
            {
                continue
            }
            for name in names where fnmatch(source.glob, name, FNM_PERIOD) == 0 {
                let path = Paths.join(source.directory, name)
                guard !handled.contains(path), Self.isRegularFile(path) else { continue }
                do {
                    let run = try pipeline.startRun(of: source.job, parameters: ["file": path])
                    try store.recordHandledFile(path, of: source.name, run: run.id)
                    started += 1
                } catch {
                    onError("source \(source.name): \(path) not started: \(error)")
                }
            }
        }
        return started
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }
}
