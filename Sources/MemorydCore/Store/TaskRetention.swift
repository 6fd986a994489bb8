import FoundationEssentials
import JobkitMetrics
import Synchronization

/// How long the queue keeps finished tasks and their output, and how it prunes the rest: in the
/// background, a bounded batch at a time, never a task whose run still has unfinished tasks (a
/// restart reads the outcomes of a run's finished tasks to resume the others).
public struct TaskRetention: Sendable, Hashable {
    /// Finished tasks older than this are pruned (7 days).
    public static let defaultMaxAge: Duration = .seconds(7 * 86_400)
    /// At most this many finished tasks are kept; the oldest beyond it are pruned (100,000).
    public static let defaultMaxCount = 100_000
    /// Most tasks pruned in one transaction (1,000), so a prune holds the queue's writers up briefly.
    public static let defaultBatch = 1_000
    /// Time between looks for tasks to prune once a look found none left (60 s).
    public static let defaultInterval: Duration = .seconds(60)

    public var maxAge: Duration
    public var maxCount: Int
    public var batch: Int
    public var interval: Duration

    public init(
        maxAge: Duration = defaultMaxAge, maxCount: Int = defaultMaxCount, batch: Int = defaultBatch,
        interval: Duration = defaultInterval
    ) {
        self.maxAge = maxAge
        self.maxCount = maxCount
        self.batch = batch
        self.interval = interval
    }
}

extension TaskStore {
    /// Deletes up to `retention.batch` finished tasks past their retention as of `now`, with their
    /// output; returns how many. Through the committer, so it shares an fsync with other writes.
    ///
    /// - Throws: ``SQLiteError`` when the queue cannot be read or the commit fails.
    @discardableResult
    func prune(_ retention: TaskRetention, now: Date = Date()) throws -> Int {
        let cutoff = now.timeIntervalSince1970 - Double(retention.maxAge.components.seconds)
        let pruned = try write {
            try commits.perform { transaction in
                // The newest finished task beyond maxCount: it and every older one go. Then those past
                // the age. Oldest first, and only runs with nothing left to run.
                let beyond = try transaction.execute(
                    """
                    SELECT finished_at, id FROM tasks WHERE state = 'finished'
                    ORDER BY finished_at DESC, id DESC LIMIT 1 OFFSET ?1
                    """, [.integer(Int64(retention.maxCount))]
                ).first
                let rows = try transaction.execute(
                    """
                    SELECT id FROM tasks
                    WHERE state = 'finished'
                      AND (finished_at < ?1 OR (finished_at, id) <= (?2, ?3))
                      AND run NOT IN (SELECT run FROM tasks WHERE state != 'finished')
                    ORDER BY finished_at, id LIMIT ?4
                    """,
                    [
                        .real(cutoff), beyond.flatMap { $0[0].real }.map(SQLiteValue.real) ?? .real(-1),
                        .integer(beyond?[1].integer ?? -1), .integer(Int64(retention.batch)),
                    ])
                let ids = rows.compactMap { $0[0].integer }
                for id in ids {
                    try transaction.execute("DELETE FROM task_output WHERE task_id = ?1", [.integer(id)])
                    try transaction.execute("DELETE FROM tasks WHERE id = ?1", [.integer(id)])
                }
                return ids
            }
        }
        prunedTasks?.increment(by: UInt64(pruned.count))
        return pruned.count
    }
}

/// Runs ``TaskStore/prune(_:now:)`` from the daemon's housekeeping: at once again while a batch was
/// full, else once per ``TaskRetention/interval``.
final class RetentionPruner: Sendable {
    let store: TaskStore
    let retention: TaskRetention
    private let next = Mutex<ContinuousClock.Instant?>(nil)

    init(store: TaskStore, retention: TaskRetention) {
        self.store = store
        self.retention = retention
    }

    /// Prunes one batch when one is due; a failure is left to the store's write-failure reporting.
    func pruneIfDue(now: ContinuousClock.Instant = .now) {
        if let due = next.withLock({ $0 }), now < due { return }
        let pruned = (try? store.prune(retention)) ?? 0
        next.withLock { $0 = pruned >= retention.batch ? nil : now.advanced(by: retention.interval) }
    }
}
