import DequeModule
import FoundationEssentials
import HeapModule

/// The scheduler's decisions: task records, dependency counts, pool queues, worker queue and timers.
///
/// Pure state; it never blocks and never runs user code. What it reports for observers collects in
/// ``activities``; anything else that must happen outside the lock (cancellation handlers, resuming
/// waiters, waking threads) is returned in ``CoreEffects``.
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
    /// Delivers ``activities`` to observers; attempts' contexts report through it directly.
    let delivery: ActivityDelivery
    let unitRandom: @Sendable () -> Double
    let finishedTaskRetention: Int

    var lifecycle = Lifecycle.idle
    /// Reported under the lock, not yet taken for delivery (``Scheduler/withCore(_:)``).
    var activities: [JobActivity] = []
    var tasks: [TaskID: TaskRecord] = [:]
    var activeTasks = 0
    /// Tasks by state, for the queue-depth gauges.
    var stateCounts = TaskStateCounts()
    /// Attempts running on workers now.
    var runningAttempts = 0
    var finishedOrder = Deque<TaskID>()
    var pools: [String: PoolState]
    var workers: [WorkerSlot]
    var idleWorkers: [Int] = []
    var workerQueue = Deque<TaskRecord>()
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
        delivery: ActivityDelivery,
        unitRandom: @escaping @Sendable () -> Double
    ) {
        self.clock = clock
        self.delivery = delivery
        self.unitRandom = unitRandom
        self.finishedTaskRetention = configuration.finishedTaskRetention
        self.pools = configuration.pools.mapValues { PoolState(capacity: $0) }
        self.workers = configuration.workerNames.enumerated().map { WorkerSlot(id: WorkerID(index: $0, name: $1)) }
    }

    var isAccepting: Bool { lifecycle == .idle || lifecycle == .running }

    /// Queues `activity` for the observers, in the order of the scheduler's decisions.
    mutating func report(_ activity: JobActivity) { activities.append(activity) }

    // MARK: - Submission

    /// Inserts `record`, built outside the lock, and settles what it can: the path of a single spawn,
    /// which builds no arrays.
    mutating func submit(_ record: TaskRecord, dependsOn handles: [TaskHandle], effects: inout CoreEffects) throws {
        guard isAccepting else { throw JobError(.shutDown, "the scheduler is shutting down and takes no new tasks") }
        guard tasks[record.ref.id] == nil else { throw Self.taken(record.ref.id) }
        tasks[record.ref.id] = record
        activeTasks += 1
        let settled = admit(record, dependsOn: handles)
        settle(record, settled, effects: &effects)
    }

    /// Inserts `records`, built outside the lock from `batch` (same order), and settles what it can.
    mutating func submit(_ records: [TaskRecord], from batch: [NewTask], effects: inout CoreEffects) throws {
        guard isAccepting else { throw JobError(.shutDown, "the scheduler is shutting down and takes no new tasks") }
        try requireFree(records.map(\.ref.id))
        // Insert every record first so dependencies inside the batch resolve.
        for record in records { tasks[record.ref.id] = record }
        activeTasks += records.count

        // Wire every dependant before settling anything, so a failure propagating inside the batch reaches
        // all of it; then settle in submission (topological) order.
        var settled: [Int: [(TaskOutcome, String)]] = [:]
        for (index, record) in records.enumerated() {
            let finished = admit(record, dependsOn: batch[index].options.dependsOn)
            if !finished.isEmpty { settled[index] = finished }
            for dependency in batch[index].localDependencies {
                records[dependency].dependants.append(record.ref.id)
            }
        }
        for (index, record) in records.enumerated() {
            settle(record, settled[index] ?? [], effects: &effects)
        }
    }

    /// Refuses ids a task of this scheduler has, or that appear twice among `ids`.
    private func requireFree(_ ids: [TaskID]) throws {
        var seen = Set<TaskID>()
        for id in ids where tasks[id] != nil || !seen.insert(id).inserted { throw Self.taken(id) }
    }

    private static func taken(_ id: TaskID) -> JobError {
        JobError(.taskIDInUse, "task id \(id) is taken by another task of this scheduler")
    }

    /// Reports `record` submitted and wires it to the tasks of `handles` that have not finished.
    ///
    /// - Returns: the outcomes (and labels) of those that have.
    private mutating func admit(_ record: TaskRecord, dependsOn handles: [TaskHandle]) -> [(TaskOutcome, String)] {
        stateCounts.move(from: nil, to: .blocked)
        report(.stateChanged(record.ref, from: nil, to: .blocked))
        var finished: [(TaskOutcome, String)] = []
        for handle in handles {
            if let dependency = tasks[handle.id] {
                if let outcome = dependency.outcome {
                    finished.append((outcome, Self.label(dependency.ref)))
                } else {
                    dependency.dependants.append(record.ref.id)
                }
            } else if let result = handle.completion.current {
                // Finished long enough ago that only its handle remembers the outcome.
                finished.append((result.outcome, "'\(handle.name)' (\(handle.id))"))
            }
        }
        return finished
    }

    /// Makes `record` ready if it depends on nothing, and applies the outcomes of finished dependencies.
    private mutating func settle(
        _ record: TaskRecord, _ finishedDependencies: [(TaskOutcome, String)], effects: inout CoreEffects
    ) {
        if record.dependencies.isEmpty {
            // Ready as it is submitted, in this section: the submission's timestamp is the ready one.
            becomeReady(record, at: record.submittedAt, effects: &effects)
        }
        for (outcome, label) in finishedDependencies {
            if let (final, error) = dependencyFinished(
                record.ref.id, outcome: outcome, dependency: label, effects: &effects)
            {
                finish(record, final, error: error, effects: &effects)
            }
        }
    }

    static func label(_ ref: TaskRef) -> String { "'\(ref.name)' (\(ref.id))" }

    // MARK: - Readiness and dispatch

    mutating func setState(_ id: TaskID, _ state: TaskState) {
        setState(tasks[id]!, state)
    }

    mutating func setState(_ record: TaskRecord, _ state: TaskState) {
        let previous = record.state
        guard previous != state else { return }
        record.state = state
        stateCounts.move(from: previous, to: state)
        report(.stateChanged(record.ref, from: previous, to: state))
    }

    /// Dependencies are done (or a retry is due): queue for pools, then for a worker.
    mutating func becomeReady(_ id: TaskID, effects: inout CoreEffects) {
        becomeReady(tasks[id]!, effects: &effects)
    }

    /// - Parameter wallTime: the time to record as ready, if the caller has just read it.
    mutating func becomeReady(_ record: TaskRecord, at wallTime: Date? = nil, effects: inout CoreEffects) {
        let id = record.ref.id
        if let delay = record.pendingRetryDelay {
            // Resumed in the middle of a backoff: wait out the rest of it first.
            record.pendingRetryDelay = nil
            if delay > .zero {
                record.retryAt = clock.wallTime().addingTimeInterval(delay.seconds)
                setState(record, .retryWait)
                addTimer(
                    .retry, task: id, attempt: record.attempt, at: clock.now().advanced(by: delay), effects: &effects)
                return
            }
        }
        // Checked for emptiness first: `contains` hashes the name even in an empty set.
        if !pausedJobTypes.isEmpty && pausedJobTypes.contains(record.ref.jobType) {
            // Held before its pools, so a paused job keeps no slot from anyone.
            setState(record, .pending)
            heldTasks[record.ref.jobType, default: []].append(id)
            return
        }
        record.readyInstant = clock.now()
        record.readyAt = wallTime ?? clock.wallTime()
        if record.pools.isEmpty {
            enqueueForWorker(record, effects: &effects)
        } else {
            requestPools(id, effects: &effects)
        }
    }

    mutating func enqueueForWorker(_ id: TaskID, effects: inout CoreEffects) {
        enqueueForWorker(tasks[id]!, effects: &effects)
    }

    mutating func enqueueForWorker(_ record: TaskRecord, effects: inout CoreEffects) {
        setState(record, .pending)
        if lifecycle != .idle, lifecycle != .suspending, let worker = idleWorkers.popLast() {
            let assignment = start(record, on: worker, effects: &effects)
            workers[worker].handoff = assignment
            effects.wakeWorkers.append(worker)
        } else {
            workerQueue.append(record)
        }
    }

    /// Marks `record` running on `worker` and builds its attempt.
    mutating func start(_ record: TaskRecord, on worker: Int, effects: inout CoreEffects) -> Assignment {
        let now = clock.now()
        let id = record.ref.id
        let workerID = workers[worker].id
        if workers[worker].current == nil && workers[worker].handoff == nil {
            report(.workerStateChanged(workerID, busy: true))
        }
        workers[worker].current = id
        runningAttempts += 1
        record.attempt += 1
        record.worker = workerID
        record.startInstant = now
        record.startedAt = clock.wallTime()
        if let progress = record.context?.lastProgress { record.lastProgress = progress }
        let context = TaskContext(
            task: record.ref, attempt: record.attempt, worker: workerID, clock: clock, delivery: delivery)
        record.context = context
        let queueWait = record.readyInstant.map { $0.duration(to: now) } ?? .zero
        setState(record, .running)
        report(.started(record.ref, attempt: record.attempt, worker: workerID, queueWait: queueWait))
        if let timeout = record.timeout {
            addTimer(.timeout, task: id, attempt: record.attempt, at: now.advanced(by: timeout), effects: &effects)
        }
        // Only a task that has not ended starts, and its body is cleared only when it ends.
        return Assignment(record: record, context: context, body: record.body!)
    }

    /// The next queued task for a worker that just became free, or `nil` (the worker goes idle).
    mutating func nextAssignment(for worker: Int, effects: inout CoreEffects) -> Assignment? {
        while lifecycle != .suspending, let record = workerQueue.popFirst() {
            guard record.state == .pending else { continue }  // cancelled while queued
            return start(record, on: worker, effects: &effects)
        }
        if workers[worker].current != nil {
            workers[worker].current = nil
            report(.workerStateChanged(workers[worker].id, busy: false))
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
