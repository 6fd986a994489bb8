import Dispatch
import Synchronization

/// Runs tasks on a fixed set of named workers, in dependency order, within resource pool limits,
/// with retries, timeouts and cancellation, and reports everything to observers and an event stream.
///
/// ```swift
/// let scheduler = try Scheduler(SchedulerConfiguration(workers: 4, pools: ["llm": 1]))
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await scheduler.run() }
///     let fetch = try scheduler.spawn("fetch") { ctx in try await download(ctx) }
///     let digest = try scheduler.spawnBlocking(
///         "digest", options: TaskOptions(dependsOn: [fetch], pools: ["llm": 1], retry: .retries(3))
///     ) { ctx in try summarize(ctx) }
///     _ = await digest.result()
///     scheduler.shutdown()
/// }
/// ```
///
/// Tasks may be submitted before ``run()``; they start once it runs. For tasks that depend on each
/// other before any of them exists, build a ``TaskGraph`` and ``submit(_:)`` it.
public final class Scheduler: Sendable {
    public let configuration: SchedulerConfiguration
    /// The scheduler's time source.
    public let clock: JobClock
    /// Everything that happens, as typed events with sequence numbers.
    public let events: EventStream

    let core: Mutex<SchedulerCore>
    /// The next task id; taken outside the core's lock, so a submission builds its records there.
    let nextTaskID: Atomic<UInt64>
    let delivery: ActivityDelivery
    let workerThreads: [WorkerThread]
    let timerSignal = AsyncSignal()
    let lifecycle = Mutex(RunState())

    struct RunState {
        var started = false
        var exitedWorkers = 0
        var workersExited: CheckedContinuation<Void, Never>?
    }

    /// Default source of jitter: uniform in `0..<1`.
    public static let systemRandom: @Sendable () -> Double = { Double.random(in: 0..<1) }

    /// Creates a scheduler; nothing runs until ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: workers, pools and retention.
    ///   - clock: time source for deadlines, durations and timestamps (inject a manual clock in tests).
    ///   - observers: given every ``JobActivity``, in the scheduler's order, after the built-in event stream.
    ///   - unitRandom: random numbers in `0..<1` for backoff jitter.
    /// - Throws: ``JobError`` if the configuration is invalid.
    public init(
        _ configuration: SchedulerConfiguration = SchedulerConfiguration(),
        clock: JobClock = .continuous,
        observers: [any JobObserver] = [],
        unitRandom: @escaping @Sendable () -> Double = Scheduler.systemRandom
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        self.nextTaskID = Atomic(configuration.firstTaskID)
        let events = try EventStream(configuration: configuration.events, clock: clock)
        self.events = events
        let delivery = ActivityDelivery(events: events, observers: observers)
        self.delivery = delivery
        self.core = Mutex(
            SchedulerCore(configuration: configuration, clock: clock, delivery: delivery, unitRandom: unitRandom))
        self.workerThreads = configuration.workerNames.enumerated().map { WorkerThread(index: $0, name: $1) }
    }

    // MARK: - Submitting

    /// Submits an async job.
    ///
    /// - Returns: a handle to wait for, cancel, or depend on.
    /// - Throws: ``JobError``: `.unknownPool`, `.invalidSlots`, `.foreignTask`, `.shutDown`, `.invalidConfiguration`.
    @discardableResult
    public func spawn(
        _ name: String,
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (TaskContext) async throws -> Void
    ) throws -> TaskHandle {
        try submit(NewTask(name: name, body: .async(body), options: options, localDependencies: []))
    }

    /// Submits a blocking job, which holds its worker thread while it runs.
    ///
    /// - Returns: a handle to wait for, cancel, or depend on.
    /// - Throws: ``JobError``: `.unknownPool`, `.invalidSlots`, `.foreignTask`, `.shutDown`, `.invalidConfiguration`.
    @discardableResult
    public func spawnBlocking(
        _ name: String,
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (TaskContext) throws -> Void
    ) throws -> TaskHandle {
        try submit(NewTask(name: name, body: .blocking(body), options: options, localDependencies: []))
    }

    /// Submits every task of `graph` at once, after checking it has no cycle.
    ///
    /// - Returns: the handles, to be looked up by node.
    /// - Throws: ``JobError``: `.dependencyCycle` naming the cycle, or any error of ``spawn(_:options:_:)``.
    public func submit(_ graph: TaskGraph) throws -> TaskGraph.Handles {
        try graph.checkAcyclic()
        let (tasks, nodeIndices) = graph.newTasks()
        let submitted = try submit(tasks)
        // Submission order is topological; hand the handles back in the order the nodes were added.
        var handles = submitted
        for (handle, nodeIndex) in zip(submitted, nodeIndices) { handles[nodeIndex] = handle }
        return TaskGraph.Handles(graphID: graph.id, handles: handles)
    }

    // MARK: - Control

    /// Asks a task to stop. A task that has not started is cancelled at once (and its dependants with it);
    /// a running one is asked through its ``TaskContext`` and ends when its job returns.
    ///
    /// - Returns: `false` if the task had already finished.
    /// - Throws: ``JobError`` (`.unknownTask`) if no task has this id.
    @discardableResult
    public func cancel(_ id: TaskID) throws -> Bool {
        try withCore { core, effects in try core.cancel(id, effects: &effects) }
    }

    /// Waits until no task is unfinished.
    public func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = core.withLock { core -> Bool in
                if core.activeTasks == 0 { return true }
                core.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    // MARK: - Status

    /// Snapshots of every unfinished task and of recently finished ones, by id.
    public func tasks() -> [TaskStatus] {
        core.withLock { core in core.tasks.values.map { $0.status() } }.sorted { $0.id < $1.id }
    }

    /// How many of the tasks ``tasks()`` lists are in each state, and the last `limit` of them by id:
    /// what a status summary needs, without a snapshot of every retained task.
    public func summary(recent limit: Int) -> (byState: [TaskState: Int], recent: [TaskStatus]) {
        var ids: [TaskID] = []
        let counts = core.withLock { core in
            var counts: [TaskState: Int] = [:]
            ids.reserveCapacity(core.tasks.count)
            for (id, record) in core.tasks {
                counts[record.state, default: 0] += 1
                ids.append(id)
            }
            return counts
        }
        ids.sort()
        let recent = ids.suffix(max(limit, 0))
        // A task forgotten in between is left out.
        let statuses = core.withLock { core in recent.compactMap { core.tasks[$0]?.status() } }
        return (counts, statuses)
    }

    /// A snapshot of one task.
    ///
    /// - Throws: ``JobError`` (`.unknownTask`) if no task has this id or it was forgotten.
    public func status(of id: TaskID) throws -> TaskStatus {
        guard let status = core.withLock({ $0.tasks[id]?.status() }) else {
            throw JobError(.unknownTask, "no task \(id) (it never existed or finished long ago)")
        }
        return status
    }

    /// Snapshots of the workers.
    public func workers() -> [WorkerStatus] {
        core.withLock { core in
            core.workers.map { slot in
                WorkerStatus(
                    name: slot.id.name, busy: slot.current != nil, task: slot.current,
                    taskName: slot.current.flatMap { core.tasks[$0]?.ref.name })
            }
        }
    }

    /// Snapshots of the resource pools, by name.
    public func pools() -> [PoolStatus] {
        core.withLock { core in
            core.pools.map { name, pool in
                PoolStatus(name: name, slots: pool.capacity, inUse: pool.inUse, waiting: pool.waitingCount)
            }
        }.sorted { $0.name < $1.name }
    }

    /// The number of unfinished tasks.
    public var unfinishedTaskCount: Int { core.withLock { $0.activeTasks } }

    /// How many tasks are in each state (terminal states: how many ended in them so far).
    public func taskStateCounts() -> TaskStateCounts { core.withLock { $0.stateCounts } }

    // MARK: - Effects

    /// Runs `body` on the core under its lock; then delivers the activities it reported (in the order of
    /// the sections, outside the lock) and carries out its effects.
    func withCore<Value, Failure: Error>(
        _ body: (inout sending SchedulerCore, inout CoreEffects) throws(Failure) -> sending Value
    ) throws(Failure) -> Value {
        var effects = CoreEffects()
        var delivering = false
        // A section that throws may have reported activities too: they are delivered (and the delivery
        // lock released) before the error goes on.
        let outcome = core.withLock { core in
            defer {
                if !core.activities.isEmpty {
                    delivery.take(&core.activities)
                    delivering = true
                }
            }
            do throws(Failure) {
                return Result<Value, Failure>.success(try body(&core, &effects))
            } catch {
                return .failure(error)
            }
        }
        if delivering { delivery.deliverTaken() }
        apply(effects)
        return try outcome.get()
    }

    /// Carries out what the core decided, outside its lock.
    func apply(_ effects: CoreEffects) {
        for worker in effects.wakeWorkers { workerThreads[worker].wakeUp.signal() }
        if effects.wakeRunLoop { timerSignal.signal() }
        for (completion, result) in effects.completions { completion.complete(result) }
        for waiter in effects.idleWaiters { waiter.resume() }
        for (context, reason) in effects.cancellations { context.cancel(reason) }
    }
}
