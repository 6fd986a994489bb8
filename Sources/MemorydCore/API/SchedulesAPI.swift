public import FoundationEssentials
import Jobkit
import JobkitDaemon

/// A scheduled job as `GET /v1/schedules` and `memoryd schedules` show it.
public struct ScheduleEntry: Codable, Sendable, Hashable {
    public var job: String
    /// As configured: `every 1h`, `daily 03:00`, `*/15 * * * *`.
    public var schedule: String
    /// The zone of its times: the job's `timezone`, else the daemon's local zone.
    public var timezone: String
    public var catchUp: Bool
    /// `jitter` in seconds; absent without one.
    public var jitterSeconds: Double?
    /// When it last fired (or began, at the first start); absent without a queue database.
    public var lastFire: Date?
    /// When it fires next; absent when it never does.
    public var nextFire: Date?
    /// Whether the job is paused (`memoryd pause`).
    public var paused: Bool
    /// What its triggers do while it is paused: `hold` or `drop`.
    public var pausedTriggers: String
}

/// `GET /v1/schedules`: every scheduled job with its last and next fire time.
struct SchedulesAPI: Sendable {
    let config: ConfigState
    let scheduler: Scheduler
    var clock: JobClock { scheduler.clock }

    /// `GET /v1/schedules`.
    func list() -> HTTPResponse { .encoded(["schedules": entries()]) }

    func entries() -> [ScheduleEntry] {
        guard let pipeline = config.pipeline else { return [] }
        let now = clock.wallTime()
        let paused = scheduler.pausedJobTypes()
        return pipeline.config.jobs.compactMap { job in
            guard let schedule = job.schedule else { return nil }
            let zone = pipeline.zone(of: job)
            let last = (try? config.store?.lastFire(of: job.name)) ?? nil
            return ScheduleEntry(
                job: job.name, schedule: schedule.description, timezone: zone.name, catchUp: job.catchUp,
                jitterSeconds: job.jitter?.seconds,
                lastFire: last,
                nextFire: PipelineRunner.nextFire(schedule, in: zone, after: max(last ?? now, now)),
                paused: paused.contains(job.name), pausedTriggers: job.pausedTriggers.rawValue)
        }
    }
}
