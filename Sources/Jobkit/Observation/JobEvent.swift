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
///
/// The fields other than `seq` and `time` live in one shared box, copied only when a copy is changed:
/// an event is copied into the stream's history and into every subscriber's buffer, and a copy then
/// costs one reference count instead of one per string.
public struct JobEvent: Sendable, Hashable {
    /// Position in the stream: strictly increasing, starting at 1.
    public var seq: UInt64
    /// Wall-clock time the event was published.
    public var time: Date
    private var fields: Fields

    public var kind: EventKind {
        get { fields.kind }
        set { change { $0.kind = newValue } }
    }
    public var task: TaskID? {
        get { fields.task }
        set { change { $0.task = newValue } }
    }
    /// The task's name.
    public var name: String? {
        get { fields.name }
        set { change { $0.name = newValue } }
    }
    /// The task's job type.
    public var job: String? {
        get { fields.job }
        set { change { $0.job = newValue } }
    }
    /// The run (correlation id) the task belongs to.
    public var run: String? {
        get { fields.run }
        set { change { $0.run = newValue } }
    }
    public var attempt: Int? {
        get { fields.attempt }
        set { change { $0.attempt = newValue } }
    }
    public var worker: String? {
        get { fields.worker }
        set { change { $0.worker = newValue } }
    }
    /// Seconds: the attempt's run time on finish, the backoff delay on retry, the wait on pool events.
    public var duration: Double? {
        get { fields.duration }
        set { change { $0.duration = newValue } }
    }
    public var error: String? {
        get { fields.error }
        set { change { $0.error = newValue } }
    }
    public var level: LogLevel? {
        get { fields.level }
        set { change { $0.level = newValue } }
    }
    public var message: String? {
        get { fields.message }
        set { change { $0.message = newValue } }
    }
    /// 0…1 on progress events.
    public var progress: Double? {
        get { fields.progress }
        set { change { $0.progress = newValue } }
    }
    public var pool: String? {
        get { fields.pool }
        set { change { $0.pool = newValue } }
    }
    /// Free-form details.
    public var metadata: [String: JSONValue]? {
        get { fields.metadata }
        set { change { $0.metadata = newValue } }
    }

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
        self.fields = Fields(
            kind: kind, task: task?.id, name: task?.name, job: task?.jobType, run: task?.correlationID,
            attempt: attempt, worker: worker, duration: duration, error: error, level: level, message: message,
            progress: progress, pool: pool, metadata: metadata)
    }

    /// Changes the box, first copying it if another event shares it.
    private mutating func change(_ body: (Fields) -> Void) {
        if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
        body(fields)
    }

    public static func == (lhs: JobEvent, rhs: JobEvent) -> Bool {
        lhs.seq == rhs.seq && lhs.time == rhs.time && (lhs.fields === rhs.fields || lhs.fields.equals(rhs.fields))
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(seq)
        hasher.combine(time)
        fields.hash(into: &hasher)
    }

    /// The fields of an event other than `seq` and `time`.
    private final class Fields: @unchecked Sendable {
        // @unchecked: a box is only changed through `change`, when no other event shares it.
        var kind: EventKind
        var task: TaskID?
        var name: String?
        var job: String?
        var run: String?
        var attempt: Int?
        var worker: String?
        var duration: Double?
        var error: String?
        var level: LogLevel?
        var message: String?
        var progress: Double?
        var pool: String?
        var metadata: [String: JSONValue]?

        init(
            kind: EventKind, task: TaskID?, name: String?, job: String?, run: String?, attempt: Int?,
            worker: String?, duration: Double?, error: String?, level: LogLevel?, message: String?,
            progress: Double?, pool: String?, metadata: [String: JSONValue]?
        ) {
            self.kind = kind
            self.task = task
            self.name = name
            self.job = job
            self.run = run
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

        func copy() -> Fields {
            Fields(
                kind: kind, task: task, name: name, job: job, run: run, attempt: attempt, worker: worker,
                duration: duration, error: error, level: level, message: message, progress: progress, pool: pool,
                metadata: metadata)
        }

        func equals(_ other: Fields) -> Bool {
            kind == other.kind && task == other.task && name == other.name && job == other.job
                && run == other.run && attempt == other.attempt && worker == other.worker
                && duration == other.duration && error == other.error && level == other.level
                && message == other.message && progress == other.progress && pool == other.pool
                && metadata == other.metadata
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(kind)
            hasher.combine(task)
            hasher.combine(name)
            hasher.combine(job)
            hasher.combine(run)
            hasher.combine(attempt)
            hasher.combine(worker)
            hasher.combine(duration)
            hasher.combine(error)
            hasher.combine(level)
            hasher.combine(message)
            hasher.combine(progress)
            hasher.combine(pool)
            hasher.combine(metadata)
        }
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
        let seq = try container.decode(UInt64.self, forKey: .seq)
        let timeText = try container.decode(String.self, forKey: .time)
        guard let parsed = try? Self.timeFormat.parse(timeText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .time, in: container, debugDescription: "not an RFC 3339 time: \(timeText)")
        }
        self.init(kind: try container.decode(EventKind.self, forKey: .kind))
        self.seq = seq
        time = parsed
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
