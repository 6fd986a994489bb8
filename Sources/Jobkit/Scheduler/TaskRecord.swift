import FoundationEssentials

/// A new task as handed to the scheduler core: already validated except against scheduler state.
struct NewTask {
    let name: String
    let body: TaskBody
    let options: TaskOptions
    /// Dependencies on tasks of the same submission, by index into it.
    let localDependencies: [Int]
}

/// Everything the scheduler knows about one task. Lives inside the core's lock.
///
/// A class, so the core updates a task in place: as a struct, every `tasks[id]!.field` read copied the
/// whole record and every update wrote it back through the dictionary (a hash each time).
///
/// `@unchecked Sendable`: a submission builds its records before taking the core's lock and hands them
/// over inside it; from then on a record is only touched under that lock.
final class TaskRecord: @unchecked Sendable {
    let ref: TaskRef
    /// The job; `nil` once the task has ended, so a retained finished record keeps only what listings show.
    var body: TaskBody?
    let retry: RetryPolicy
    let timeout: Duration?
    /// Pool requirements in canonical (name) order.
    let pools: [(name: String, slots: Int)]
    let onDependencyFailure: DependencyFailurePolicy
    let dependencies: [TaskID]
    let completion: TaskCompletion

    var state: TaskState = .blocked
    var outcome: TaskOutcome?
    /// The current or last attempt's number, counting attempts made before submission.
    var attempt: Int
    /// Attempts that do not count against ``retry``: those made before submission and those interrupted
    /// by a shutdown.
    var uncountedAttempts: Int
    /// The wait before the first attempt here, for a task resumed in the middle of its backoff.
    var pendingRetryDelay: Duration?
    var worker: WorkerID?
    var unfinishedDependencies = 0
    var dependants: [TaskID] = []
    var context: TaskContext?
    var lastError: String?
    var lastProgress: TaskProgress?

    var submittedAt: Date
    var readyAt: Date?
    var startedAt: Date?
    var finishedAt: Date?
    var retryAt: Date?
    var readyInstant: JobInstant?
    var poolWaitStart: JobInstant?
    var startInstant: JobInstant?

    /// The record of `task` under `id`, in a submission whose tasks have `batchIDs` (its local
    /// dependencies are indices into them).
    convenience init(_ task: NewTask, id: TaskID, batchIDs: [TaskID], submittedAt: Date) {
        let ref = TaskRef(
            id: id, name: task.name, jobType: task.options.jobType ?? task.name,
            correlationID: task.options.correlationID)
        let dependencies = task.options.dependsOn.map(\.id) + task.localDependencies.map { batchIDs[$0] }
        self.init(
            ref: ref, body: task.body, options: task.options, dependencies: dependencies, submittedAt: submittedAt)
        unfinishedDependencies = dependencies.count
    }

    init(ref: TaskRef, body: TaskBody, options: TaskOptions, dependencies: [TaskID], submittedAt: Date) {
        self.ref = ref
        self.body = body
        self.retry = options.retry
        self.timeout = options.timeout
        self.pools = options.pools.sorted { $0.key < $1.key }.map { (name: $0.key, slots: $0.value) }
        self.onDependencyFailure = options.onDependencyFailure
        self.dependencies = dependencies
        self.completion = TaskCompletion()
        self.submittedAt = submittedAt
        self.attempt = options.attemptsMade
        self.uncountedAttempts = options.attemptsMade
        self.pendingRetryDelay = options.attemptsMade > 0 ? options.retryDelay : nil
    }

    /// Attempts that count against the retry policy.
    var countedAttempts: Int { attempt - uncountedAttempts }

    func status() -> TaskStatus {
        TaskStatus(
            id: ref.id, name: ref.name, jobType: ref.jobType, state: state, outcome: outcome,
            attempt: attempt, maxAttempts: uncountedAttempts + retry.maxAttempts, worker: worker?.name,
            correlationID: ref.correlationID, dependsOn: dependencies,
            pools: Dictionary(uniqueKeysWithValues: pools.map { ($0.name, $0.slots) }),
            submittedAt: submittedAt, readyAt: readyAt, startedAt: startedAt, finishedAt: finishedAt,
            retryAt: state == .retryWait ? retryAt : nil,
            progress: context?.lastProgress ?? lastProgress, lastError: lastError)
    }
}

/// Work handed to a worker thread.
struct Assignment {
    /// The task's record, for the core to update when the attempt ends (touched only under its lock,
    /// apart from its constants).
    let record: TaskRecord
    let context: TaskContext
    /// The job to run, taken from the record when the attempt started.
    let body: TaskBody

    var id: TaskID { record.ref.id }
}

/// A worker as the core sees it.
struct WorkerSlot {
    let id: WorkerID
    var current: TaskID?
    /// Work assigned while the thread was parked; it picks this up when woken.
    var handoff: Assignment?
}

/// A resource pool's capacity and its FIFO of waiting tasks.
struct PoolState {
    let capacity: Int
    var inUse = 0
    var queue: [TaskID] = []
    var queueHead = 0

    /// Consumed queue entries tolerated before the array is compacted; small enough to bound waste,
    /// large enough that compaction is rare.
    static let compactionThreshold = 64

    var free: Int { capacity - inUse }
    var first: TaskID? { queueHead < queue.count ? queue[queueHead] : nil }
    var waitingCount: Int { queue.count - queueHead }

    mutating func removeFirst() {
        queueHead += 1
        // Compact once the consumed prefix dominates, keeping removal amortised O(1).
        if queueHead > Self.compactionThreshold && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }
}

/// Something due at an instant: a retry to start or an attempt to time out.
struct TimerEntry: Comparable {
    enum Kind: Equatable {
        case retry
        case timeout
    }

    let deadline: JobInstant
    let sequence: UInt64
    let kind: Kind
    let task: TaskID
    let attempt: Int

    static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
        (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
    }

    static func == (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
        lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
    }
}

/// What the core asks its caller to do once the lock is released.
struct CoreEffects {
    /// Attempts to ask to stop; their handlers are user code.
    var cancellations: [(TaskContext, CancellationReason)] = []
    /// Results to publish to waiting handles.
    var completions: [(TaskCompletion, TaskResult)] = []
    /// Continuations of `waitUntilIdle` to resume.
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Worker threads to wake (by index).
    var wakeWorkers: [Int] = []
    /// Whether the run loop must look again (earliest timer changed, or the last task finished).
    var wakeRunLoop = false
}
