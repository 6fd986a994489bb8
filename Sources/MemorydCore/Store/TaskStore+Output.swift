import FoundationEssentials
import Jobkit
import Synchronization

/// One line of an attempt's output as the queue keeps it: what the command wrote on stdout or stderr,
/// or what the job logged.
struct StoredLine: Sendable, Hashable {
    let attempt: Int
    /// Its number in the attempt, from 1; a gap before it means lines were dropped (``OutputBound``).
    let line: Int
    /// Seconds since 1970.
    let time: Double
    /// `stdout`, `stderr`, or `log` for a line the job logged itself.
    let stream: String
    let level: String
    let text: String
}

/// The output lines of a batch of events, and what keeping them within their bound drops.
struct OutputWrites {
    /// Attempts whose first line this process sees: whatever is stored for them is from an earlier
    /// process that reused the number (its start was never recorded), and goes.
    var cleared: [(storeID: Int64, attempt: Int)] = []
    var lines: [(storeID: Int64, line: StoredLine)] = []
    var dropped: [(storeID: Int64, attempt: Int, line: Int)] = []

    var isEmpty: Bool { cleared.isEmpty && lines.isEmpty && dropped.isEmpty }

    /// Writes them in `transaction`.
    func write(in transaction: SQLiteDatabase.Transaction) throws {
        for (storeID, attempt) in cleared {
            try transaction.execute(
                "DELETE FROM task_output WHERE task_id = ?1 AND attempt = ?2",
                [.integer(storeID), .integer(Int64(attempt))])
        }
        for (storeID, line) in lines {
            try transaction.execute(
                """
                INSERT OR REPLACE INTO task_output (task_id, attempt, line, time, stream, level, text)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """,
                [
                    .integer(storeID), .integer(Int64(line.attempt)), .integer(Int64(line.line)), .real(line.time),
                    .text(line.stream), .text(line.level), .text(line.text),
                ])
        }
        for (storeID, attempt, line) in dropped {
            try transaction.execute(
                "DELETE FROM task_output WHERE task_id = ?1 AND attempt = ?2 AND line = ?3",
                [.integer(storeID), .integer(Int64(attempt)), .integer(Int64(line))])
        }
    }
}

extension TaskStore {
    /// The bound of the attempt a stored task is running, while it runs.
    struct AttemptOutput: Sendable {
        let attempt: Int
        var bound: OutputBound
    }

    /// What `events` (in order; each a stored task's log line or its end) add to the stored output.
    func outputWrites(_ events: [(storeID: Int64, event: JobEvent)]) -> OutputWrites {
        var writes = OutputWrites()
        guard !events.isEmpty else { return writes }
        attemptOutputs.withLock { running in
            for (storeID, event) in events {
                guard event.kind == .log else {
                    running[storeID] = nil
                    continue
                }
                let attempt = event.attempt ?? 0
                if running[storeID]?.attempt != attempt {
                    running[storeID] = AttemptOutput(attempt: attempt, bound: OutputBound(budget: outputBytes))
                    writes.cleared.append((storeID, attempt))
                }
                let text = event.message ?? ""
                let (line, dropped) = running[storeID]!.bound.add(bytes: text.utf8.count)
                for number in dropped { writes.dropped.append((storeID, attempt, number)) }
                guard let line else { continue }
                let stream = event.metadata?["stream"].flatMap { value -> String? in
                    if case .string(let name) = value { return name }
                    return nil
                }
                writes.lines.append(
                    (
                        storeID,
                        StoredLine(
                            attempt: attempt, line: line, time: event.time.timeIntervalSince1970,
                            stream: stream ?? "log", level: (event.level ?? .info).rawValue, text: text)
                    ))
            }
        }
        return writes
    }

    /// The stored output of task `storeID`, of one attempt or of all, in order; `nil` when the queue has
    /// no task with that id.
    func output(of storeID: Int64, attempt: Int? = nil) throws -> [StoredLine]? {
        guard try !database.execute("SELECT 1 FROM tasks WHERE id = ?1", [.integer(storeID)]).isEmpty else {
            return nil
        }
        var sql = "SELECT attempt, line, time, stream, level, text FROM task_output WHERE task_id = ?1"
        var parameters: [SQLiteValue] = [.integer(storeID)]
        if let attempt {
            sql += " AND attempt = ?2"
            parameters.append(.integer(Int64(attempt)))
        }
        return try database.execute(sql + " ORDER BY attempt, line", parameters).map { row in
            StoredLine(
                attempt: Int(row[0].integer ?? 0), line: Int(row[1].integer ?? 0), time: row[2].real ?? 0,
                stream: row[3].text ?? "", level: row[4].text ?? "", text: row[5].text ?? "")
        }
    }
}
