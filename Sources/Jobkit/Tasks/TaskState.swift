/// Where a task is in its life. The raw values are the names the API and the status file use.
public enum TaskState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Ready to run (dependencies done, pool slots held) and waiting for a free worker.
    case pending
    /// Waiting for its dependencies to finish.
    case blocked
    /// Dependencies done; waiting for slots in one of its resource pools.
    case waiting
    /// Running on a worker.
    case running
    /// An attempt failed; waiting out the backoff before the next one.
    case retryWait = "retry_wait"
    /// Finished successfully.
    case succeeded
    /// Finished unsuccessfully: error, retries exhausted, timeout or failed dependency.
    case failed
    /// Cancelled or skipped; it will not run.
    case cancelled

    /// Whether the task has finished for good.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .pending, .blocked, .waiting, .running, .retryWait: false
        }
    }
}

/// How a task ended. Each outcome maps to exactly one terminal ``TaskState``.
public enum TaskOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// The job returned normally.
    case succeeded
    /// The job threw a fatal error, or a dependency failed under ``DependencyFailurePolicy/fail``.
    case failed
    /// The job kept throwing retryable errors until its ``RetryPolicy`` ran out of attempts.
    case retriesExhausted = "retries_exhausted"
    /// The last attempt ran past its timeout.
    case timedOut = "timed_out"
    /// Cancelled by a caller, by shutdown, or because a dependency was cancelled.
    case cancelled
    /// Not run because a dependency failed under ``DependencyFailurePolicy/skip``.
    case skipped

    /// The terminal state a task with this outcome is in.
    public var state: TaskState {
        switch self {
        case .succeeded: .succeeded
        case .failed, .retriesExhausted, .timedOut: .failed
        case .cancelled, .skipped: .cancelled
        }
    }
}

/// The identity of a task, unique within its scheduler.
public struct TaskID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "t\(rawValue)" }

    /// `"t42"` as written by ``description``, or `"42"`.
    public init?(_ text: String) {
        guard let raw = UInt64(text.hasPrefix("t") ? String(text.dropFirst()) : text) else { return nil }
        rawValue = raw
    }

    /// Decodes `"t42"` (as encoded) or the bare number `42`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt64.self) {
            rawValue = number
        } else if let parsed = TaskID(try container.decode(String.self)) {
            self = parsed
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a task id like \"t42\"")
        }
    }

    /// Encodes as `"t42"`, the same form the API, the CLI and log lines use.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// What observers are told about a task: cheap to copy, no mutable state.
public struct TaskRef: Sendable, Hashable {
    public let id: TaskID
    /// The task's own name, such as `extract:session-42.jsonl`.
    public let name: String
    /// The kind of work, such as `extract`: a bounded set, fit for a metric label.
    public let jobType: String
    /// The id of the run (pipeline invocation) this task belongs to, if any.
    public let correlationID: String?

    public init(id: TaskID, name: String, jobType: String, correlationID: String?) {
        self.id = id
        self.name = name
        self.jobType = jobType
        self.correlationID = correlationID
    }
}

/// The identity of one of a scheduler's workers.
public struct WorkerID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Position in the scheduler's worker list.
    public let index: Int
    /// The worker's name, such as `worker-0`; also the worker thread's name.
    public let name: String

    public init(index: Int, name: String) {
        self.index = index
        self.name = name
    }

    public static func < (lhs: WorkerID, rhs: WorkerID) -> Bool { lhs.index < rhs.index }

    public var description: String { name }
}

/// The severity of a task's log line.
public enum LogLevel: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case trace, debug, info, notice, warning, error, critical

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
