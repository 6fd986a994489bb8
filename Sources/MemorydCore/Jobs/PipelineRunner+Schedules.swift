import FoundationEssentials
import Jobkit

extension PipelineRunner {
    /// Starts each scheduled job's runs on time until cancelled.
    ///
    /// With a store, each fire time is remembered: an `every` schedule keeps its cadence across restarts
    /// and reloads, and a run a schedule missed while the daemon was down is made up once at start (like
    /// systemd's `Persistent=true`), unless the job says `catch_up = false`. The first start in a state
    /// directory begins the schedules then.
    ///
    /// - Parameter onError: told of runs not started, and of runs made up.
    public func runSchedules(onError: @escaping @Sendable (String) -> Void = { _ in }) async {
        await withTaskGroup(of: Void.self) { group in
            for job in config.jobs {
                guard let schedule = job.schedule else { continue }
                let zone = zone(of: job)
                group.addTask { await self.runSchedule(of: job, schedule, in: zone, onError: onError) }
            }
        }
    }

    /// One job's schedule, until cancelled.
    func runSchedule(
        of job: MemorydConfig.Job, _ schedule: MemorydConfig.Schedule, in zone: ZoneInfo,
        onError: @escaping @Sendable (String) -> Void
    ) async {
        let clock = scheduler.clock
        let start = clock.wallTime()
        var last = (try? store?.lastFire(of: job.name)) ?? nil
        if let missed = last.flatMap({ Self.nextFire(schedule, in: zone, after: $0) }), missed <= start {
            if job.catchUp {
                onError(
                    "\(job.name): making up the run due at \(missed.formatted(.iso8601)), missed while memoryd was down")
                fire(job, at: start, onError: onError)
            }
            last = start
        }
        if last == nil {
            last = start
            try? store?.recordFire(of: job.name, at: start)
        }
        while !Task.isCancelled, let previous = last {
            let now = clock.wallTime()
            guard let next = Self.nextFire(schedule, in: zone, after: max(previous, now)) else { return }
            var generator = SystemRandomNumberGenerator()
            let delay =
                Duration.milliseconds(Int64((next.timeIntervalSince(now) * 1000).rounded(.up)))
                + Self.jitterDelay(job.jitter, using: &generator)
            guard (try? await clock.sleep(for: delay)) != nil else { return }
            fire(job, at: next, onError: onError)
            last = next
        }
    }

    /// Starts a run of `job` for its schedule's fire at `time`, and remembers the fire.
    private func fire(_ job: MemorydConfig.Job, at time: Date, onError: @Sendable (String) -> Void) {
        if job.pausedTriggers == .drop, scheduler.pausedJobTypes().contains(job.name) {
            onError("scheduled run of \(job.name) not started: the job is paused (paused_triggers = \"drop\")")
        } else {
            do {
                try startRun(of: job.name)
            } catch {
                onError("scheduled run of \(job.name) not started: \(error)")
            }
        }
        do {
            try store?.recordFire(of: job.name, at: time)
        } catch {
            onError("\(job.name): could not record the scheduled run's time: \(error)")
        }
    }

    /// The zone of `job`'s schedule: its `timezone`, read when the config was loaded, else the local one.
    func zone(of job: MemorydConfig.Job) -> ZoneInfo {
        job.timeZone.flatMap { jobZones[$0] } ?? localZone
    }

    /// A random delay in `[0, maximum)` added to a scheduled run; none without a jitter.
    static func jitterDelay(_ maximum: Duration?, using generator: inout some RandomNumberGenerator) -> Duration {
        guard let maximum, maximum > .zero else { return .zero }
        return .milliseconds(Int64.random(in: 0..<max(1, maximum.milliseconds), using: &generator))
    }

    /// When `schedule` fires next after `time` in `zone`; `nil` if never.
    static func nextFire(_ schedule: MemorydConfig.Schedule, in zone: ZoneInfo, after time: Date) -> Date? {
        if case .every(let interval) = schedule { return time.addingTimeInterval(interval.seconds) }
        return schedule.cronExpression?.nextFire(after: Int64(time.timeIntervalSince1970.rounded(.down)), in: zone)
            .map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// How long from `now` until `schedule` next fires in `zone` (a day when it never does, to look again).
    static func delayUntilNext(_ schedule: MemorydConfig.Schedule, in zone: ZoneInfo, after now: Date) -> Duration {
        guard let next = nextFire(schedule, in: zone, after: now) else { return .seconds(86_400) }
        return .milliseconds(Int64((next.timeIntervalSince(now) * 1000).rounded()))
    }
}
