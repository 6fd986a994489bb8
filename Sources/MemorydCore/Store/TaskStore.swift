import FoundationEssentials
import Jobkit
import Synchronization

/// The persistent queue: every task of every run, from acknowledgement until it finishes, in SQLite
/// (`queue.sqlite3` in the state directory, WAL mode, full sync).
///
/// A run's tasks are written in one transaction before the run is submitted and before the API answers,
/// so an acknowledged task survives `kill -9` and power loss. Starts and finishes are recorded from the
/// event stream, off the scheduler's hot path. After a crash, unfinished tasks are run again; one that
/// was running counts the interrupted attempt (at-least-once).
final class TaskStore: Sendable {
    /// A task as stored.
    struct StoredTask: Sendable, Hashable {
        let storeID: Int64
        let run: String
        let job: String
        let parameters: [String: String]
        /// Upstream jobs in the same run.
        let dependsOn: [String]
        /// Attempts started before now (across restarts).
        let attempts: Int
        let state: String
    }

    /// File name of the queue in the state directory.
    static let fileName = "queue.sqlite3"

    private let database: SQLiteDatabase
    /// Shares one transaction (one fsync) among runs recorded at the same time.
    private let commits: GroupCommit
    /// Which stored task each live task is, by run and job (a job appears once in a run, and both are on
    /// every event, so events match even before the scheduler has handed out task ids).
    private let storeIDs = Mutex<[RunJob: Int64]>([:])

    struct RunJob: Hashable {
        let run: String
        let job: String
    }

    init(directory: String) throws {
        database = try SQLiteDatabase(path: directory + "/" + Self.fileName)
        commits = GroupCommit(database: database)
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS tasks (
                id INTEGER PRIMARY KEY,
                run TEXT NOT NULL,
                job TEXT NOT NULL,
                params TEXT NOT NULL,
                depends_on TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                state TEXT NOT NULL,
                outcome TEXT,
                created_at REAL NOT NULL,
                finished_at REAL
            )
            """)
        try database.execute("CREATE INDEX IF NOT EXISTS unfinished ON tasks(state) WHERE state != 'finished'")
        try database.execute(
            "CREATE INDEX IF NOT EXISTS successes ON tasks(job, finished_at) WHERE outcome = 'succeeded'")
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS source_files (
                source TEXT NOT NULL,
                path TEXT NOT NULL,
                run TEXT NOT NULL,
                handled_at REAL NOT NULL,
                PRIMARY KEY (source, path)
            )
            """)
    }

    /// The files of `source` that have started a run.
    func handledFiles(of source: String) throws -> Set<String> {
        let rows = try database.execute("SELECT path FROM source_files WHERE source = ?1", [.text(source)])
        return Set(rows.compactMap { $0[0].text })
    }

    /// Remembers that `path` of `source` started `run`.
    func recordHandledFile(_ path: String, of source: String, run: String) throws {
        try database.execute(
            "INSERT OR IGNORE INTO source_files (source, path, run, handled_at) VALUES (?1, ?2, ?3, ?4)",
            [.text(source), .text(path), .text(run), .real(Date().timeIntervalSince1970)])
    }

    /// Records the tasks of a new run durably; returns their store ids in the same order.
    func recordRun(_ run: String, jobs: [(name: String, dependsOn: [String])], parameters: [String: String]) throws
        -> [Int64]
    {
        let params = Self.json(parameters)
        let now = Date().timeIntervalSince1970
        let ids = try commits.perform { transaction in
            try jobs.map { job in
                try transaction.execute(
                    "INSERT INTO tasks (run, job, params, depends_on, state, created_at) VALUES (?1, ?2, ?3, ?4, 'queued', ?5)",
                    [.text(run), .text(job.name), .text(params), .text(Self.json(job.dependsOn)), .real(now)])
                return transaction.lastInsertedRow
            }
        }
        track(run, zip(jobs.map(\.name), ids).map { ($0, $1) })
        return ids
    }

    /// Whether the database answers a query (for `/readyz`).
    var isAnswering: Bool { (try? database.execute("SELECT count(*) FROM tasks")) != nil }

    /// Follows the events of stored tasks that are submitted again (after a restart).
    func track(_ run: String, _ tasks: [(job: String, storeID: Int64)]) {
        storeIDs.withLock { ids in
            for task in tasks { ids[RunJob(run: run, job: task.job)] = task.storeID }
        }
    }

    /// Records starts and finishes from a batch of events in one transaction.
    func record(_ events: [JobEvent]) throws {
        let updates = storeIDs.withLock { ids in
            events.compactMap { event -> (Int64, JobEvent)? in
                guard let run = event.run, let job = event.job else { return nil }
                let key = RunJob(run: run, job: job)
                guard let storeID = ids[key] else { return nil }
                if event.kind.isTerminal { ids[key] = nil }
                return (storeID, event)
            }
        }
        guard !updates.isEmpty else { return }
        try database.transaction { transaction in
            for (storeID, event) in updates {
                if event.kind == .started {
                    try transaction.execute(
                        "UPDATE tasks SET state = 'started', attempts = attempts + 1 WHERE id = ?1", [.integer(storeID)]
                    )
                } else if event.kind.isTerminal {
                    try transaction.execute(
                        "UPDATE tasks SET state = 'finished', outcome = ?2, finished_at = ?3 WHERE id = ?1",
                        [.integer(storeID), .text(event.kind.rawValue), .real(event.time.timeIntervalSince1970)])
                }
            }
        }
    }

    /// Marks a stored task finished without running it (its job is gone from the config).
    func abandon(_ storeID: Int64, reason: String) throws {
        try database.execute(
            "UPDATE tasks SET state = 'finished', outcome = ?2, finished_at = ?3 WHERE id = ?1",
            [.integer(storeID), .text("abandoned: " + reason), .real(Date().timeIntervalSince1970)])
    }

    /// How the finished tasks of `run` ended, by job.
    func outcomes(of run: String) throws -> [String: String] {
        let rows = try database.execute(
            "SELECT job, outcome FROM tasks WHERE run = ?1 AND state = 'finished'", [.text(run)])
        return Dictionary(rows.map { ($0[0].text ?? "", $0[1].text ?? "") }, uniquingKeysWith: { _, last in last })
    }

    /// When a task of `job` last succeeded, or `nil` if none has.
    func lastSuccess(of job: String) throws -> Date? {
        let rows = try database.execute(
            "SELECT max(finished_at) FROM tasks WHERE job = ?1 AND outcome = 'succeeded'", [.text(job)])
        return rows.first?[0].real.map(Date.init(timeIntervalSince1970:))
    }

    /// Tasks not finished, oldest first.
    func unfinished() throws -> [StoredTask] {
        try database.execute(
            "SELECT id, run, job, params, depends_on, attempts, state FROM tasks WHERE state != 'finished' ORDER BY id"
        ).map { row in
            StoredTask(
                storeID: row[0].integer ?? 0, run: row[1].text ?? "", job: row[2].text ?? "",
                parameters: Self.decode(row[3].text, as: [String: String].self) ?? [:],
                dependsOn: Self.decode(row[4].text, as: [String].self) ?? [], attempts: Int(row[5].integer ?? 0),
                state: row[6].text ?? "")
        }
    }

    /// `{"key":"value",…}` (sorted keys) or `["a","b"]`, written directly: this is on the path of every submit.
    private static func json(_ object: [String: String]) -> String {
        json(.object(object.mapValues(JSONValue.string)))
    }

    private static func json(_ array: [String]) -> String {
        json(.array(array.map(JSONValue.string)))
    }

    private static func json(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        value.append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func decode<Value: Decodable>(_ text: String?, as type: Value.Type) -> Value? {
        text.flatMap { try? JSONDecoder().decode(type, from: Data($0.utf8)) }
    }
}

extension EventKind {
    /// The kinds that end a task.
    var isTerminal: Bool { TaskOutcome.allCases.contains { EventKind.finished($0) == self } }
}
