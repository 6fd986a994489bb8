public import FoundationEssentials

/// The kind of an event. Jobkit defines the task kinds; daemons add their own (`daemon_started`, `alert_firing`).
public struct EventKind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// A task was submitted.
    public static let queued = EventKind("queued")
    /// A task is waiting for slots of a resource pool.
    public static let waiting = EventKind("waiting")
    /// An attempt started on a worker.
    public static let started = EventKind("started")
    /// A job reported progress.
    public static let progress = EventKind("progress")
    /// A job wrote a log line.
    public static let log = EventKind("log")
    /// An attempt failed and another is scheduled.
    public static let retrying = EventKind("retrying")
    /// An attempt was interrupted by a shutdown; the task stays unfinished, to run again after a restart.
    public static let interrupted = EventKind("interrupted")
    public static let succeeded = EventKind("succeeded")
    public static let failed = EventKind("failed")
    public static let retriesExhausted = EventKind("retries_exhausted")
    public static let timedOut = EventKind("timed_out")
    public static let cancelled = EventKind("cancelled")
    public static let skipped = EventKind("skipped")

    /// The kind of the event that reports `outcome`.
    public static func finished(_ outcome: TaskOutcome) -> EventKind { EventKind(outcome.rawValue) }

    public var description: String { rawValue }
}

/// One thing that happened, as the event stream, the event log and the API carry it.
///
/// `seq` and `time` are assigned by ``EventStream/publish(_:)``; other fields are set where they apply.
public struct JobEvent: Sendable, Hashable {
    /// Position in the stream: strictly increasing, starting at 1.
    public var seq: UInt64
    /// Wall-clock time the event was published.
    public var time: Date
    public var kind: EventKind
    public var task: TaskID?
    /// The task's name.
    public var name: String?
    /// The task's job type.
    public var job: String?
    /// The run (correlation id) the task belongs to.
    public var run: String?
    public var attempt: Int?
    public var worker: String?
    /// Seconds: the attempt's run time on finish, the backoff delay on retry, the wait on pool events.
    public var duration: Double?
    public var error: String?
    public var level: LogLevel?
    public var message: String?
    /// 0…1 on progress events.
    public var progress: Double?
    public var pool: String?
    /// Free-form details.
    public var metadata: [String: JSONValue]?

    public init(
        kind: EventKind,
        task: TaskRef? = nil,
        attempt: Int? = nil,
        worker: String? = nil,
        duration: Double? = nil,
        error: String? = nil,
        level: LogLevel? = nil,
        message: String? = nil,
        progress: Double? = nil,
        pool: String? = nil,
        metadata: [String: JSONValue]? = nil
    ) {
        self.seq = 0
        self.time = Date(timeIntervalSince1970: 0)
        self.kind = kind
        self.task = task?.id
        self.name = task?.name
        self.job = task?.jobType
        self.run = task?.correlationID
        self.attempt = attempt
        self.worker = worker
        self.duration = duration
        self.error = error
        self.level = level
        self.message = message
        self.progress = progress
        self.pool = pool
        self.metadata = metadata
    }
}

extension JobEvent: Codable {
    private enum CodingKeys: String, CodingKey {
        case seq, time, kind, task, name, job, run, attempt, worker, duration, error, level, message, progress, pool
        case metadata
    }

    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(UInt64.self, forKey: .seq)
        let timeText = try container.decode(String.self, forKey: .time)
        guard let parsed = try? Self.timeFormat.parse(timeText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .time, in: container, debugDescription: "not an RFC 3339 time: \(timeText)")
        }
        time = parsed
        kind = try container.decode(EventKind.self, forKey: .kind)
        task = try container.decodeIfPresent(TaskID.self, forKey: .task)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        job = try container.decodeIfPresent(String.self, forKey: .job)
        run = try container.decodeIfPresent(String.self, forKey: .run)
        attempt = try container.decodeIfPresent(Int.self, forKey: .attempt)
        worker = try container.decodeIfPresent(String.self, forKey: .worker)
        duration = try container.decodeIfPresent(Double.self, forKey: .duration)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        level = try container.decodeIfPresent(LogLevel.self, forKey: .level)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        progress = try container.decodeIfPresent(Double.self, forKey: .progress)
        pool = try container.decodeIfPresent(String.self, forKey: .pool)
        metadata = try container.decodeIfPresent([String: JSONValue].self, forKey: .metadata)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(time.formatted(Self.timeFormat), forKey: .time)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(task, forKey: .task)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(job, forKey: .job)
        try container.encodeIfPresent(run, forKey: .run)
        try container.encodeIfPresent(attempt, forKey: .attempt)
        try container.encodeIfPresent(worker, forKey: .worker)
        try container.encodeIfPresent(duration, forKey: .duration)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(level, forKey: .level)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(progress, forKey: .progress)
        try container.encodeIfPresent(pool, forKey: .pool)
        try container.encodeIfPresent(metadata, forKey: .metadata)
    }
}
