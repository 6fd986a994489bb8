import FoundationEssentials
public import Jobkit

#if canImport(Glibc)
    import Glibc
#endif

/// A job that runs a program: each output line becomes a log event of the task, `::progress 0.4 message`
/// lines report progress, and the exit status decides the outcome.
///
/// The program runs in a process group of its own, with an empty signal mask, and dies with the daemon.
/// On cancel, timeout or a shutdown's interruption the whole group gets SIGTERM, then SIGKILL after
/// ``killGrace``, so nothing it started outlives the task. It sees the daemon's environment plus
/// ``environment``, `MEMORYD_PARAM_<KEY>` for each parameter (upper-cased), and `MEMORYD_TASK_ID`,
/// `MEMORYD_RUN_ID`, `MEMORYD_ATTEMPT` (the attempt as the API shows it, attempts before a restart included).
public struct CommandJob: Sendable {
    /// Default wait between SIGTERM and SIGKILL (5 s).
    public static let defaultKillGrace: Duration = .seconds(5)
    /// Default longest output line kept whole (16 KiB); longer lines are split.
    public static let defaultMaxLineBytes = 16 << 10

    public var argv: [String]
    public var environment: [String: String]
    public var workingDirectory: String?
    public var parameters: [String: String]
    public var killGrace: Duration
    public var maxLineBytes: Int
    /// Called with the program's pid after it is started and before it runs (to record its process group
    /// durably); if it throws, the program does not run and the attempt fails with that error.
    public var beforeExec: (@Sendable (Int32) throws -> Void)?

    public init(
        argv: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
        parameters: [String: String] = [:], killGrace: Duration = defaultKillGrace,
        maxLineBytes: Int = defaultMaxLineBytes, beforeExec: (@Sendable (Int32) throws -> Void)? = nil
    ) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.parameters = parameters
        self.killGrace = killGrace
        self.maxLineBytes = maxLineBytes
        self.beforeExec = beforeExec
    }

    /// Runs one attempt on the calling (worker) thread until the program exits.
    ///
    /// - Throws: `TaskError.retryable` for a non-zero exit or death by a signal, `TaskError.fatal` when the
    ///   program cannot be started, `CancellationError` when the attempt was cancelled or timed out.
    public func run(_ context: TaskContext) throws {
        let process = try SpawnedProcess(
            argv: argv, environment: fullEnvironment(context), workingDirectory: workingDirectory
        ) { pid in try beforeExec?(pid) }
        context.onCancel { _ in process.signalGroup(SIGTERM) }
        var lines = [
            LineSplitter(stream: "stdout", maxBytes: maxLineBytes),
            LineSplitter(stream: "stderr", maxBytes: maxLineBytes),
        ]
        var killAt: ContinuousClock.Instant?
        process.readOutput { index, bytes in
            for line in lines[index].append(bytes) { report(line, stream: lines[index].stream, context: context) }
        } tick: {
            // Escalate once the grace after cancellation has passed.
            guard context.isCancelled else { return }
            let now = ContinuousClock.now
            if killAt == nil { killAt = now.advanced(by: killGrace) }
            if let deadline = killAt, now >= deadline { process.signalGroup(SIGKILL) }
        }
        for index in lines.indices {
            if let rest = lines[index].finish() { report(rest, stream: lines[index].stream, context: context) }
        }
        let status = process.wait()
        // Whatever else the program started in its group goes with it.
        process.signalGroup(SIGKILL)
        if context.isCancelled { throw CancellationError() }
        switch status {
        case .exited(0): return
        case .exited(let code): throw TaskError.retryable("\(argv[0]) exited with status \(code)")
        case .signalled(let signal): throw TaskError.retryable("\(argv[0]) was killed by signal \(signal)")
        }
    }

    private func fullEnvironment(_ context: TaskContext) -> [String: String] {
        var result = ProcessInfo.processInfo.environment
        for (key, value) in environment { result[key] = value }
        for (key, value) in parameters { result["MEMORYD_PARAM_" + key.uppercased()] = value }
        result["MEMORYD_TASK_ID"] = context.task.id.description
        result["MEMORYD_RUN_ID"] = context.task.correlationID ?? ""
        result["MEMORYD_ATTEMPT"] = String(context.attempt)
        return result
    }

    /// A `::progress FRACTION [message]` line reports progress; any other line is a log line, `info` from
    /// stdout and `warning` from stderr.
    private func report(_ line: String, stream: String, context: TaskContext) {
        if line.hasPrefix("::progress ") {
            let rest = line.dropFirst("::progress ".count)
            let fraction = rest.prefix { $0 != " " }
            if let value = Double(fraction), (0...1).contains(value) {
                let message = rest.dropFirst(fraction.count).drop { $0 == " " }
                context.progress(value, message.isEmpty ? nil : String(message))
                return
            }
        }
        context.log(stream == "stderr" ? .warning : .info, line, metadata: ["stream": .string(stream)])
    }
}

/// Cuts a byte stream into lines, splitting lines longer than `maxBytes`.
struct LineSplitter {
    let stream: String
    let maxBytes: Int
    private var pending: [UInt8] = []

    init(stream: String, maxBytes: Int) {
        self.stream = stream
        self.maxBytes = max(maxBytes, 1)
    }

    mutating func append(_ bytes: ArraySlice<UInt8>) -> [String] {
        pending += bytes
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) ?? (pending.count >= maxBytes ? maxBytes : nil) {
            let end = min(newline, maxBytes)
            var line = pending[..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            pending.removeSubrange(..<(end < pending.count && pending[end] == UInt8(ascii: "\n") ? end + 1 : end))
        }
        return lines
    }

    /// The last line if the output did not end with a newline.
    mutating func finish() -> String? {
        defer { pending = [] }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}
