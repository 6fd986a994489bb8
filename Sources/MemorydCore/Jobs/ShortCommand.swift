import Dispatch
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A program run to completion for its exit status and a little of its output: health checks and the
/// alert hook. It runs in its own process group like a command job; at its timeout (or when the calling
/// task is cancelled) the group gets SIGTERM, then SIGKILL after ``killGrace``.
struct ShortCommand: Sendable {
    /// How the program ended.
    struct Outcome: Sendable, Equatable {
        /// `nil` when it could not be started (``output`` then says why).
        var status: SpawnedProcess.Status?
        var timedOut: Bool
        /// The start of stdout, or of stderr when stdout is empty, trimmed.
        var output: String
    }

    var argv: [String]
    var environment: [String: String]
    var workingDirectory: String?
    var timeout: Duration
    var killGrace: Duration = CommandJob.defaultKillGrace
    var maxOutputBytes: Int = defaultMaxOutputBytes

    /// Output kept from each stream (4 KiB); the rest is read and dropped.
    static let defaultMaxOutputBytes = 4 << 10

    /// Runs the program on a thread of its own (never one of the cooperative pool) and waits for it.
    func run() async -> Outcome {
        let cancelled = Mutex(false)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: runBlocking { cancelled.withLock { $0 } })
                }
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
        }
    }

    /// Runs the program on the calling thread; `isCancelled` is asked every poll interval.
    func runBlocking(isCancelled: () -> Bool = { false }) -> Outcome {
        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        let process: SpawnedProcess
        do {
            process = try SpawnedProcess(argv: argv, environment: variables, workingDirectory: workingDirectory)
        } catch {
            return Outcome(status: nil, timedOut: false, output: "\(error)")
        }
        let start = ContinuousClock.now
        var kept: [[UInt8]] = [[], []]
        var stopAt: ContinuousClock.Instant?
        var timedOut = false
        process.readOutput { index, bytes in
            kept[index] += bytes.prefix(max(0, maxOutputBytes - kept[index].count))
        } tick: {
            let now = ContinuousClock.now
            if stopAt == nil {
                timedOut = now - start >= timeout
                guard timedOut || isCancelled() else { return }
                process.signalGroup(SIGTERM)
                stopAt = now.advanced(by: killGrace)
            } else if let deadline = stopAt, now >= deadline {
                process.signalGroup(SIGKILL)
            }
        }
        let status = process.wait()
        process.signalGroup(SIGKILL)
        let stdout = Self.trimmed(kept[0])
        return Outcome(status: status, timedOut: timedOut, output: stdout.isEmpty ? Self.trimmed(kept[1]) : stdout)
    }

    private static func trimmed(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
