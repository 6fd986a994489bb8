/// Settings of a ``Scheduler``. Every field has a documented default.
public struct SchedulerConfiguration: Sendable, Hashable {
    /// Default number of workers.
    public static let defaultWorkerCount = 4
    /// Default prefix of generated worker names (`worker-0`, `worker-1`, …).
    public static let defaultWorkerNamePrefix = "worker"
    /// Default number of finished tasks kept for status listings (older ones are forgotten; handles still work).
    public static let defaultFinishedTaskRetention = 10_000
    /// Default id of the first task: `t1`.
    public static let defaultFirstTaskID: UInt64 = 1

    /// Names of the workers, one thread each; their count is the number of tasks that run at once.
    public var workerNames: [String]
    /// Resource pools by name, with their number of slots.
    public var pools: [String: Int]
    /// Finished tasks kept for ``Scheduler/tasks()`` and ``Scheduler/status(of:)``.
    public var finishedTaskRetention: Int
    /// The event stream's history and buffer sizes.
    public var events: EventStream.Configuration
    /// The id the scheduler gives its first task; the next ones count up from it. A daemon that keeps
    /// tasks across restarts starts above every id it used before, so an id names one task for good.
    public var firstTaskID: UInt64

    /// A configuration with `workers` workers named `worker-0` … `worker-N`.
    public init(
        workers: Int = defaultWorkerCount,
        pools: [String: Int] = [:],
        finishedTaskRetention: Int = defaultFinishedTaskRetention,
        events: EventStream.Configuration = EventStream.Configuration(),
        firstTaskID: UInt64 = defaultFirstTaskID
    ) {
        self.init(
            workerNames: (0..<max(workers, 0)).map { "\(Self.defaultWorkerNamePrefix)-\($0)" },
            pools: pools,
            finishedTaskRetention: finishedTaskRetention,
            events: events,
            firstTaskID: firstTaskID)
    }

    /// A configuration with explicitly named workers.
    public init(
        workerNames: [String],
        pools: [String: Int] = [:],
        finishedTaskRetention: Int = defaultFinishedTaskRetention,
        events: EventStream.Configuration = EventStream.Configuration(),
        firstTaskID: UInt64 = defaultFirstTaskID
    ) {
        self.workerNames = workerNames
        self.pools = pools
        self.finishedTaskRetention = finishedTaskRetention
        self.events = events
        self.firstTaskID = firstTaskID
    }

    /// Checks every field.
    ///
    /// - Throws: ``JobError`` naming the bad field: `.invalidConfiguration` for workers and retention,
    ///   `.invalidSlots` for a pool with fewer than one slot.
    public func validate() throws {
        guard !workerNames.isEmpty else {
            throw JobError(.invalidConfiguration, "a scheduler needs at least one worker")
        }
        if let empty = workerNames.firstIndex(where: \.isEmpty) {
            throw JobError(.invalidConfiguration, "worker \(empty) has an empty name")
        }
        if Set(workerNames).count != workerNames.count {
            let duplicate = workerNames.first { name in workerNames.filter { $0 == name }.count > 1 }!
            throw JobError(.invalidConfiguration, "worker name '\(duplicate)' is used twice")
        }
        for (name, slots) in pools.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty else { throw JobError(.invalidConfiguration, "a pool has an empty name") }
            guard slots >= 1 else {
                throw JobError(.invalidSlots, "pool '\(name)' has \(slots) slots; a pool needs at least 1")
            }
        }
        guard finishedTaskRetention >= 0 else {
            throw JobError(.invalidConfiguration, "finished task retention \(finishedTaskRetention) is negative")
        }
        guard firstTaskID >= 1 else { throw JobError(.invalidConfiguration, "the first task id must be 1 or more") }
        try events.validate()
    }
}
