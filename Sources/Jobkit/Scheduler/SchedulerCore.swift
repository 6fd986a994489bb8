import DequeModule
import FoundationEssentials
import HeapModule

/// The scheduler's decisions: task records, dependency counts, pool queues, worker queue and timers.
///
/// Pure state plus inline observer calls; it never blocks and never runs user code. Anything that
/// must happen outside the lock (cancellation handlers, resuming waiters, waking threads) is
/// returned in ``CoreEffects``.
struct SchedulerCore {
    enum Lifecycle: Equatable {
        /// Accepting tasks; workers not started yet.
        case idle
        /// Accepting tasks; workers running.
        case running
        /// No new tasks; running until every task has finished.
        case draining
        /// No new tasks and no new attempts; running until no attempt runs. Unfinished tasks stay unfinished.
        case suspending
        /// Workers told to exit.
        case stopped
    }

    let clock: JobClock
    let observer: any JobObserver
    let unitRandom: @Sendable () -> Double
    let finishedTaskRetention: Int

    var lifecycle = Lifecycle.idle
    var tasks: [TaskID: TaskRecord] = [:]
    var nextTaskID: UInt64 = 1
    var activeTasks = 0
    /// Tasks by state, for the queue-depth gauges.
    var stateCounts = TaskStateCounts()
    /// Attempts running on workers now.
    var runningAttempts = 0
    var finishedOrder = Deque<TaskID>()
    var pools: [String: PoolState]
    var workers: [WorkerSlot]
    var idleWorkers: [Int] = []
    var workerQueue = Deque<TaskID>()
    var timers = Heap<TimerEntry>()
    var timerSequence: UInt64 = 0
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Waiting for no attempt to run, once suspending.
    var quietWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set by `cancelAll`: failed attempts are not retried any more.
    var cancellingAll = false
    /// Job types whose tasks wait, pending, instead of starting (``Scheduler/pause(jobType:)``).
    var pausedJobTypes: Set<String> = []
    /// Tasks of paused job types that became ready, in the order they did.
    var heldTasks: [String: [TaskID]] = [:]

    init(
        configuration: SchedulerConfiguration,
        clock: JobClock,
        observer: any JobObserver,
        unitRandom: @escaping @Sendable () -> Double
    ) {
        self.clock = clock
        self.observer = observer
        self.unitRandom = unitRandom
        self.finishedTaskRetention = configuration.finishedTaskRetention
        self.pools = configuration.pools.mapValues { PoolState(capacity: $0) }
        self.workers = configuration.workerNames.enumerated().map { WorkerSlot(id: WorkerID(index: $0, name: $1)) }
    }

    var isAccepting: Bool { lifecycle == .idle || lifecycle == .running }

    // MARK: - Submission

    /// Validates `batch` against the scheduler's state and inserts it.
    ///
    /// - Parameter existing: per new task, the already-submitted tasks it depends on.
    mutating func submit(
        _ batch: [NewTask],
        existing: [[TaskHandle]],
        effects: inout CoreEffects
    ) throws -> [(TaskID, TaskCompletion)] {
        guard isAccepting else { throw JobError(.shutDown, "the scheduler is shutting down and takes no new tasks") }
        try validatePools(of: batch)

        let firstID = nextTaskID
        nextTaskID += UInt64(batch.count)
        let ids = (0..<batch.count).map { TaskID(rawValue: firstID + UInt64($0)) }
        let now = clock.wallTime()
        var created: [(TaskID, TaskCompletion)] = []
        created.reserveCapacity(batch.count)

        // Insert every record first so dependencies inside the batch resolve.
        for (index, task) in batch.enumerated() {
            let ref = TaskRef(
                id: ids[index], name: task.name, jobType: task.options.jobType ?? task.name,
                correlationID: task.options.correlationID)
            let dependencies = existing[index].map(\.id) + task.localDependencies.map { ids[$0] }
            let record = TaskRecord(
                ref: ref, body: task.body, options: task.options, dependencies: dependencies, submittedAt: now)
            record.unfinishedDependencies = dependencies.count
            tasks[ref.id] = record
            created.append((ref.id, record.completion))
            activeTasks += 1
        }

        // Wire every dependant before settling anything, so a failure propagating inside the batch reaches
        // all of it; then settle in submission (topological) order.
        var settled: [[(TaskOutcome, String)]] = Array(repeating: [], count: batch.count)
        for (index, id) in ids.enumerated() {
            stateCounts.move(from: nil, to: .blocked)
            observer.taskStateChanged(tasks[id]!.ref, from: nil, to: .blocked)
            for handle in existing[index] {
                if let dependency = tasks[handle.id] {
                    if let outcome = dependency.outcome {
                        settled[index].append((outcome, Self.label(dependency.ref)))
                    } else {
                        tasks[handle.id]!.dependants.append(id)
                    }
                } else if let result = handle.completion.current {
                    // Finished long enough ago that only its handle remembers the outcome.
                    settled[index].append((result.outcome, "'\(handle.name)' (\(handle.id))"))
                }
            }
            for dependency in batch[index].localDependencies {
                tasks[ids[dependency]]!.dependants.append(id)
            }
        }
        for (index, id) in ids.enumerated() {
            if tasks[id]!.dependencies.isEmpty {
                becomeReady(id, effects: &effects)
            }
            for (outcome, label) in settled[index] {
                if let (final, error) = dependencyFinished(id, outcome: outcome, dependency: label, effects: &effects) {
                    finish(id, final, error: error, effects: &effects)
                }
            }
        }
        return created
    }

    private func validatePools(of batch: [NewTask]) throws {
        for task in batch {
            for (pool, slots) in task.options.pools.sorted(by: { $0.key < $1.key }) {
                guard let state = pools[pool] else {
                    let known = pools.isEmpty ? "none" : pools.keys.sorted().joined(separator: ", ")
                    throw JobError(
                        .unknownPool,
                        "task '\(task.name)' needs pool '\(pool)', which does not exist (pools: \(known))")
                }
                guard slots >= 1, slots <= state.capacity else {
                    throw JobError(
                        .invalidSlots,
                        "task '\(task.name)' asks for \(slots) slots of pool '\(pool)', which has \(state.capacity); "
                            + "ask for 1…\(state.capacity)")
                }
            }
        }
    }

    static func label(_ ref: TaskRef) -> String { "'\(ref.name)' (\(ref.id))" }

    // MARK: - Readiness and dispatch

    mutating func setState(_ id: TaskID, _ state: TaskState) {
        let record = tasks[id]!
        let previous = record.state
        guard previous != state else { return }
        record.state = state
        stateCounts.move(from: previous, to: state)
        observer.taskStateChanged(record.ref, from: previous, to: state)
    }

    /// Dependencies are done (or a retry is due): queue for pools, then for a worker.
    mutating func becomeReady(_ id: TaskID, effects: inout CoreEffects) {
        if let delay = tasks[id]!.pendingRetryDelay {
            // Resumed in the middle of a backoff: wait out the rest of it first.
            tasks[id]!.pendingRetryDelay = nil
            if delay > .zero {
                tasks[id]!.retryAt = clock.wallTime().addingTimeInterval(delay.seconds)
                setState(id, .retryWait)
                addTimer(
                    .retry, task: id, attempt: tasks[id]!.attempt, at: clock.now().advanced(by: delay),
                    effects: &effects)
                return
            }
        }
        if pausedJobTypes.contains(tasks[id]!.ref.jobType) {
            // Held before its pools, so a paused job keeps no slot from anyone.
            setState(id, .pending)
            heldTasks[tasks[id]!.ref.jobType, default: []].append(id)
            return
        }
        tasks[id]!.readyInstant = clock.now()
        tasks[id]!.readyAt = clock.wallTime()
        if tasks[id]!.pools.isEmpty {
            enqueueForWorker(id, effects: &effects)
        } else {
            requestPools(id, effects: &effects)
        }
    }

    mutating func enqueueForWorker(_ id: TaskID, effects: inout CoreEffects) {
        setState(id, .pending)
        if lifecycle != .idle, lifecycle != .suspending, let worker = idleWorkers.popLast() {
            let assignment = start(id, on: worker, effects: &effects)
            workers[worker].handoff = assignment
            effects.wakeWorkers.append(worker)
        } else {
            workerQueue.append(id)
        }
    }

    /// Marks `id` running on `worker` and builds its attempt.
    mutating func start(_ id: TaskID, on worker: Int, effects: inout CoreEffects) -> Assignment {
        let now = clock.now()
        let workerID = workers[worker].id
        if workers[worker].current == nil && workers[worker].handoff == nil {
            observer.workerStateChanged(workerID, busy: true)
        }
        workers[worker].current = id
        runningAttempts += 1
        let record = tasks[id]!
        record.attempt += 1
        record.worker = workerID
        record.startInstant = now
        record.startedAt = clock.wallTime()
        if let progress = record.context?.lastProgress { record.lastProgress = progress }
        let context = TaskContext(
            task: record.ref, attempt: record.attempt, worker: workerID, clock: clock, observer: observer)
        record.context = context
        let queueWait = record.readyInstant.map { $0.duration(to: now) } ?? .zero
        tasks[id] = record
        setState(id, .running)
        observer.taskStarted(record.ref, attempt: record.attempt, worker: workerID, queueWait: queueWait)
        if let timeout = record.timeout {
            addTimer(.timeout, task: id, attempt: record.attempt, at: now.advanced(by: timeout), effects: &effects)
        }
        return Assignment(id: id, body: record.body, context: context)
    }

    /// The next queued task for a worker that just became free, or `nil` (the worker goes idle).
    mutating func nextAssignment(for worker: Int, effects: inout CoreEffects) -> Assignment? {
        while lifecycle != .suspending, let id = workerQueue.popFirst() {
            guard tasks[id]?.state == .pending else { continue }  // cancelled while queued
            return start(id, on: worker, effects: &effects)
        }
        if workers[worker].current != nil {
            workers[worker].current = nil
            observer.workerStateChanged(workers[worker].id, busy: false)
        }
        idleWorkers.append(worker)
        return nil
    }

    // MARK: - Timers

    mutating func addTimer(
        _ kind: TimerEntry.Kind,
        task: TaskID,
        attempt: Int,
        at deadline: JobInstant,
        effects: inout CoreEffects
    ) {
        timerSequence += 1
        let previousEarliest = timers.min?.deadline
        timers.insert(TimerEntry(deadline: deadline, sequence: timerSequence, kind: kind, task: task, attempt: attempt))
        if previousEarliest.map({ deadline < $0 }) ?? true { effects.wakeRunLoop = true }
    }

    var nextDeadline: JobInstant? { timers.min?.deadline }

    /// Fires every timer due at `now`.
    mutating func fireTimers(effects: inout CoreEffects) {
        let now = clock.now()
        while let entry = timers.min, entry.deadline <= now {
            timers.removeMin()
            guard let record = tasks[entry.task], record.attempt == entry.attempt else { continue }
            switch entry.kind {
            case .retry where record.state == .retryWait:
                becomeReady(entry.task, effects: &effects)
            case .timeout where record.state == .running:
                if let context = record.context { effects.cancellations.append((context, .timedOut)) }
            case .retry, .timeout:
                continue
            }
        }
    }
}
