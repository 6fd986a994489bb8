import FoundationEssentials
import Jobkit

/// Changes of one stored task that events asked for, merged: what a batch of events writes, and what
/// waits for the next write when the disk refused the last one (so a finish is never lost, and a task
/// that finished is not run again after a restart).
struct StoreUpdate: Sendable, Equatable {
    /// Attempts started.
    var attempts = 0
    /// Attempts interrupted by a shutdown (they do not count against the task's retries).
    var interruptions = 0
    /// The time of the pending retry: `.some(nil)` clears it (an attempt started), `nil` leaves it.
    var retryAt: Double??
    /// The outcome and time, once the task finished.
    var finished: (outcome: String, time: Double)?

    static func == (lhs: StoreUpdate, rhs: StoreUpdate) -> Bool {
        lhs.attempts == rhs.attempts && lhs.interruptions == rhs.interruptions && lhs.retryAt == rhs.retryAt
            && lhs.finished?.outcome == rhs.finished?.outcome && lhs.finished?.time == rhs.finished?.time
    }

    /// Adds what `event` changes; `false` if it changes nothing stored.
    mutating func apply(_ event: JobEvent) -> Bool {
        switch event.kind {
        case .started:
            attempts += 1
            retryAt = .some(nil)
        case .retrying:
            retryAt = .some(event.time.timeIntervalSince1970 + (event.duration ?? 0))
        case .interrupted:
            interruptions += 1
        default:
            guard event.kind.isTerminal else { return false }
            finished = (event.kind.rawValue, event.time.timeIntervalSince1970)
        }
        return true
    }

    /// Adds a later update on top of this one.
    mutating func merge(_ later: StoreUpdate) {
        attempts += later.attempts
        interruptions += later.interruptions
        if let retry = later.retryAt { retryAt = retry }
        if let done = later.finished { finished = done }
    }

    /// Writes the update of task `storeID` in `transaction`.
    func write(_ storeID: Int64, in transaction: SQLiteDatabase.Transaction) throws {
        let retry: SQLiteValue = retryAt.flatMap { $0 }.map(SQLiteValue.real) ?? .null
        try transaction.execute(
            """
            UPDATE tasks SET attempts = attempts + ?2, interruptions = interruptions + ?3,
                retry_at = CASE WHEN ?4 THEN ?5 ELSE retry_at END,
                state = CASE WHEN ?6 IS NOT NULL THEN 'finished' WHEN ?2 > 0 THEN 'started' ELSE state END,
                outcome = COALESCE(?6, outcome), finished_at = COALESCE(?7, finished_at),
                pgid = CASE WHEN ?6 IS NOT NULL THEN NULL ELSE pgid END
            WHERE id = ?1
            """,
            [
                .integer(storeID), .integer(Int64(attempts)), .integer(Int64(interruptions)),
                .integer(retryAt == nil ? 0 : 1), retry, finished.map { .text($0.outcome) } ?? .null,
                finished.map { .real($0.time) } ?? .null,
            ])
    }
}

extension EventKind {
    /// The kinds that end a task.
    var isTerminal: Bool { TaskOutcome.allCases.contains { EventKind.finished($0) == self } }
}
