public import FoundationEssentials
public import Jobkit
public import JobkitDaemon
import JobkitSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What `memoryd top` knows: the latest status and alerts it polled, and from the event stream the tasks
/// each job finished per time bucket (for the sparklines) and the latest events.
public final class TopModel: Sendable {
    /// Everything one screen shows, taken at one moment.
    public struct Frame: Sendable {
        public var time: Date
        public var status: StatusSnapshot?
        public var alerts: [AlertsDocument.Item]
        /// Tasks finished per bucket by job type, oldest bucket first, ``TopModel/bucketCount`` long.
        public var finished: [String: [Int]]
        /// The latest events, newest last, as one line each.
        public var recentEvents: [String]
        /// Why the daemon could not be asked, when it could not.
        public var problem: String?
        public var bucketSeconds: Int
    }

    private struct State {
        var status: StatusSnapshot?
        var alerts: [AlertsDocument.Item] = []
        var finished: [String: [Int64: Int]] = [:]
        var recent: [String] = []
        var problem: String?
    }

    /// Seconds each sparkline bar covers (2).
    public static let defaultBucketSeconds = 2
    /// Bars in a sparkline (30: the last minute at 2 s a bar).
    public static let defaultBucketCount = 30
    /// Events kept for the list at the bottom (10).
    public static let defaultRecentEvents = 10

    public let bucketSeconds: Int
    public let bucketCount: Int
    public let recentLimit: Int
    private let state = Mutex(State())

    public init(
        bucketSeconds: Int = defaultBucketSeconds, bucketCount: Int = defaultBucketCount,
        recentEvents: Int = defaultRecentEvents
    ) {
        self.bucketSeconds = max(1, bucketSeconds)
        self.bucketCount = max(1, bucketCount)
        self.recentLimit = max(0, recentEvents)
    }

    /// Takes in one event of the stream: finishes count in their job's bucket; task events join the list.
    public func record(_ event: JobEvent) {
        let bucket = Int64(event.time.timeIntervalSince1970) / Int64(bucketSeconds)
        let line = Self.line(event)
        state.withLock { state in
            if event.kind.isTerminal, let job = event.job {
                state.finished[job, default: [:]][bucket, default: 0] += 1
                let oldest = bucket - Int64(bucketCount) * 2
                state.finished[job] = state.finished[job]?.filter { $0.key > oldest }
            }
            guard let line else { return }
            state.recent.append(line)
            if state.recent.count > recentLimit { state.recent.removeFirst(state.recent.count - recentLimit) }
        }
    }

    public func update(status: StatusSnapshot) {
        state.withLock {
            $0.status = status; $0.problem = nil
        }
    }
    public func update(alerts: [AlertsDocument.Item]) { state.withLock { $0.alerts = alerts } }
    public func update(problem: String) { state.withLock { $0.problem = problem } }

    /// The screen's content as of `time`.
    public func frame(at time: Date) -> Frame {
        let last = Int64(time.timeIntervalSince1970) / Int64(bucketSeconds)
        return state.withLock { state in
            var finished: [String: [Int]] = [:]
            for (job, buckets) in state.finished {
                finished[job] = (0..<Int64(bucketCount)).map { buckets[last - Int64(bucketCount) + 1 + $0] ?? 0 }
            }
            return Frame(
                time: time, status: state.status, alerts: state.alerts, finished: finished,
                recentEvents: state.recent, problem: state.problem, bucketSeconds: bucketSeconds)
        }
    }

    /// An event as the list shows it; `nil` for the daemon's own housekeeping and for log lines.
    static func line(_ event: JobEvent) -> String? {
        guard event.job != MemorydAPI.housekeepingJobType, event.kind != .log, event.kind != .progress else {
            return nil
        }
        var fields = [Self.clock(event.time), event.kind.rawValue]
        if let task = event.task { fields.append(task.description) }
        if let job = event.job { fields.append(job) }
        if let duration = event.duration, event.kind != .started {
            fields.append(DurationText.human(seconds: duration))
        }
        if let message = event.message ?? event.error { fields.append(message) }
        return fields.joined(separator: "  ")
    }

    /// `14:03:22`, local time.
    static func clock(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
