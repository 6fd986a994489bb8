import FoundationEssentials
import Jobkit
import JobkitDaemon
import JobkitMetrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The persistent queue: every task of every run, from acknowledgement until it finishes, in SQLite
/// (`queue.sqlite3` in the state directory, WAL mode, full sync, private to the daemon's user).
///
/// A run's tasks are written in one transaction before the run is submitted and before the API answers,
/// so an acknowledged task survives `kill -9` and power loss. Starts, retries, interruptions and finishes
/// are recorded from the event stream, off the scheduler's hot path; what the disk refuses is kept and
/// written with the next batch. A running command's process group is recorded before the command runs,
/// so a restart can make sure it is gone before the task runs again.
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
        /// Of those, the ones a shutdown interrupted (they do not count against the retries).
        let interruptions: Int
        let state: String
        /// When the pending retry is due, if the task was waiting for one.
        let retryAt: Date?
        /// The process group its last attempt ran in, if that attempt may still have processes.
        let processGroup: ProcessGroupRecord?
    }

    /// File name of the queue in the state directory.
    static let fileName = "queue.sqlite3"
    /// The most memory SQLite keeps for the queue's pages (512 KiB, a quarter of SQLite's default). The
    /// queue appends tasks and updates recent ones, so its hot pages are few; after a burst of 50,000
    /// submits a 2 MiB cache stayed full.
    static let defaultCacheBytes = 512 << 10
    /// The smallest cache the config may ask for (64 KiB).
    static let minimumCacheBytes = 64 << 10
    /// Bytes of output text kept per attempt (256 KiB): the first lines within half of it, the last lines
    /// within the other half (``OutputBound``).
    static let defaultOutputBytes = 256 << 10

    let database: SQLiteDatabase
    /// Shares one transaction (one fsync) among runs recorded at the same time.
    let commits: GroupCommit
    /// The state directory's identity, also in the database.
    let identity: StateIdentity
    /// Which stored task each live task is, by run and job (a job appears once in a run, and both are on
    /// every event, so events match even before the scheduler has handed out task ids).
    private let storeIDs = Mutex<[RunJob: Int64]>([:])
    /// Updates the disk refused, by store id, written with the next batch.
    private let unwritten = Mutex<[Int64: StoreUpdate]>([:])
    /// Why the last write failed, until one succeeds.
    private let failure = Mutex<String?>(nil)
    /// Counts failed writes (`memoryd_queue_errors_total`).
    private let errors: JobkitMetrics.Counter?
    /// Counts finished tasks pruned by the retention (`memoryd_queue_pruned_tasks_total`).
    let prunedTasks: JobkitMetrics.Counter?
    /// Bytes of output text kept per attempt; 0 keeps none.
    let outputBytes: Int
    /// Which lines of each running attempt's output are kept, by store id.
    let attemptOutputs = Mutex<[Int64: AttemptOutput]>([:])

    struct RunJob: Hashable {
        let run: String
        let job: String
    }

    /// Opens the queue in `directory` after checking it belongs there (``StateIdentity``), creating or
    /// migrating its tables.
    ///
    /// - Parameter logHasEvents: whether the directory's event log has events, a sign it was used before.
    /// - Throws: ``DaemonError`` `.damagedState` for a database that is missing, empty or another
    ///   directory's in a used state directory; ``SQLiteError`` when it cannot be opened or migrated.
    /// - Parameter cacheBytes: the most memory SQLite keeps for the database's pages.
    /// - Parameter outputBytes: bytes of output text kept per attempt.
    init(
        directory: String, logHasEvents: Bool = false, errors: JobkitMetrics.Counter? = nil,
        cacheBytes: Int = defaultCacheBytes, outputBytes: Int = defaultOutputBytes,
        prunedTasks: JobkitMetrics.Counter? = nil
    ) throws {
        self.errors = errors
        self.prunedTasks = prunedTasks
        self.outputBytes = outputBytes
        let path = directory + "/" + Self.fileName
        let verdict = try StateIdentity.check(directory: directory, databasePath: path, logHasEvents: logHasEvents)
        // Created private before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
        close(try PrivateFiles.open(path, flags: O_RDWR))
        database = try SQLiteDatabase(path: path, cacheBytes: cacheBytes)
        try StoreSchema.migrate(database)
        commits = GroupCommit(database: database)
        switch verdict {
        case .matches(let identity):
            self.identity = identity
        case .new(let identity):
            try database.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                [.text(StateIdentity.metaKey), .text(identity.value)])
            try identity.writeFile(in: directory)
            self.identity = identity
        case .restoreFile(let identity):
            try identity.writeFile(in: directory)
            self.identity = identity
        }
    }

    // MARK: - Runs

    /// Records the tasks of a new run durably; returns their store ids in the same order.
    ///
    /// - Throws: ``SQLiteError`` when the commit fails (``SQLiteError/isDiskFull`` for a full disk).
    func recordRun(_ run: String, jobs: [(name: String, dependsOn: [String])], parameters: [String: String]) throws
        -> [Int64]
    {
        try recordRuns([(run, jobs, parameters)])[0]
    }

    /// A new run as it is recorded: its id, its jobs (each with its upstream jobs) and its parameters.
    typealias NewRun = (run: String, jobs: [(name: String, dependsOn: [String])], parameters: [String: String])

    /// Records the tasks of new runs durably, all in one transaction; returns each run's store ids in the
    /// order of its jobs: `ids` when given (one per task of every run, in order: the scheduler's
    /// reserved task ids, so a task's id and its store id are one), else ids SQLite picks.
    ///
    /// - Throws: ``SQLiteError`` when the commit fails (``SQLiteError/isDiskFull`` for a full disk); then
    ///   none of the runs is recorded.
    func recordRuns(_ runs: [NewRun], ids: [Int64]? = nil) throws -> [[Int64]] {
        let recorded = try write { try commits.perform(Self.insertion(of: runs, ids: ids)) }
        return tracked(runs, recorded)
    }

    /// Records the tasks of new runs as ``recordRuns(_:)`` does, without waiting: `completion` gets each
    /// run's store ids, or the commit's error, on the committer's thread once they are durable. It must
    /// not wait for another commit.
    func recordRuns(
        _ runs: [NewRun], ids: [Int64]? = nil,
        completion: @escaping @Sendable (Result<[[Int64]], any Error>) -> Void
    ) {
        commits.enqueue(Self.insertion(of: runs, ids: ids)) { [self] result in
            completion(Result { tracked(runs, try write { try result.get() }) })
        }
    }

    /// The work that inserts `runs`' tasks (under `given` ids, when there are), returning their ids in
    /// order.
    private static func insertion(of runs: [NewRun], ids given: [Int64]?) -> (SQLiteDatabase.Transaction) throws
        -> [Int64]
    {
        let now = Date().timeIntervalSince1970
        return { transaction in
            var ids: [Int64] = []
            for run in runs {
                let params = json(run.parameters)
                for job in run.jobs {
                    // NULL lets SQLite pick the next rowid.
                    let id = given.map { SQLiteValue.integer($0[ids.count]) } ?? .null
                    try transaction.execute(
                        """
                        INSERT INTO tasks (id, run, job, params, depends_on, state, created_at)
                        VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)
                        """,
                        [id, .text(run.run), .text(job.name), .text(params), .text(json(job.dependsOn)), .real(now)])
                    ids.append(transaction.lastInsertedRow)
                }
            }
            return ids
        }
    }

    /// The highest id a stored task has, 0 for none: the scheduler's ids start above it.
    func highestTaskID() throws -> UInt64 {
        UInt64(max(try database.execute("SELECT max(id) FROM tasks").first?[0].integer ?? 0, 0))
    }

    /// `ids` split by run, each run's tasks followed from now on.
    private func tracked(_ runs: [NewRun], _ ids: [Int64]) -> [[Int64]] {
        var next = ids.startIndex
        return runs.map { run in
            let runIDs = Array(ids[next..<next + run.jobs.count])
            next += run.jobs.count
            track(run.run, zip(run.jobs.map(\.name), runIDs).map { ($0, $1) })
            return runIDs
        }
    }

    /// Follows the events of stored tasks that are submitted again (after a restart).
    func track(_ run: String, _ tasks: [(job: String, storeID: Int64)]) {
        storeIDs.withLock { ids in
            for task in tasks { ids[RunJob(run: run, job: task.job)] = task.storeID }
        }
    }

    /// Records starts, retries, interruptions and finishes from a batch of events in one transaction
    /// (shared with other writers waiting then), with whatever earlier batches could not write.
    ///
    /// - Throws: ``SQLiteError`` when the commit fails; the updates are kept for the next call.
    func record(_ events: [JobEvent]) throws {
        var output: [(storeID: Int64, event: JobEvent)] = []
        var updates = storeIDs.withLock { ids -> [Int64: StoreUpdate] in
            var updates: [Int64: StoreUpdate] = [:]
            for event in events {
                guard let run = event.run, let job = event.job else { continue }
                let key = RunJob(run: run, job: job)
                guard let storeID = ids[key] else { continue }
                if event.kind == .log || event.kind.isTerminal { output.append((storeID, event)) }
                if event.kind.isTerminal { ids[key] = nil }
                var update = updates[storeID] ?? StoreUpdate()
                if update.apply(event) { updates[storeID] = update }
            }
            // A dictionary keeps its largest capacity: after a burst drains, let that storage go.
            if ids.isEmpty && ids.capacity > 0 { ids = [:] }
            return updates
        }
        unwritten.withLock { earlier in
            for (storeID, later) in updates {
                earlier[storeID, default: StoreUpdate()].merge(later)
            }
            updates = earlier
            earlier = [:]
        }
        let lines = outputWrites(output)
        guard !updates.isEmpty || !lines.isEmpty else { return }
        do {
            // Through the committer, so a batch of transitions shares its fsync with the submits and
            // process groups being recorded at the same time. Output lines a failed commit loses are
            // not written again.
            let sorted = updates.sorted(by: { $0.key < $1.key })
            _ = try write {
                try commits.perform { transaction in
                    for (storeID, update) in sorted { try update.write(storeID, in: transaction) }
                    try lines.write(in: transaction)
                    return []
                }
            }
        } catch {
            unwritten.withLock { later in
                for (storeID, newer) in later { updates[storeID, default: StoreUpdate()].merge(newer) }
                later = updates
            }
            throw error
        }
    }

    /// Marks a stored task finished without running it (its job is gone from the config).
    func abandon(_ storeID: Int64, reason: String) throws {
        try write {
            try database.execute(
                "UPDATE tasks SET state = 'finished', outcome = ?2, finished_at = ?3, pgid = NULL WHERE id = ?1",
                [.integer(storeID), .text("abandoned: " + reason), .real(Date().timeIntervalSince1970)])
        }
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
            """
            SELECT id, run, job, params, depends_on, attempts, interruptions, state, retry_at, pgid, pgid_start, boot_id
            FROM tasks WHERE state != 'finished' ORDER BY id
            """
        ).map { row in
            StoredTask(
                storeID: row[0].integer ?? 0, run: row[1].text ?? "", job: row[2].text ?? "",
                parameters: Self.decode(row[3].text, as: [String: String].self) ?? [:],
                dependsOn: Self.decode(row[4].text, as: [String].self) ?? [], attempts: Int(row[5].integer ?? 0),
                interruptions: Int(row[6].integer ?? 0), state: row[7].text ?? "",
                retryAt: row[8].real.map(Date.init(timeIntervalSince1970:)),
                processGroup: row[9].integer.map { pgid in
                    ProcessGroupRecord(
                        pgid: Int32(truncatingIfNeeded: pgid), startTicks: UInt64(row[10].integer ?? 0),
                        bootID: row[11].text ?? "")
                })
        }
    }

    // MARK: - Sources

    /// The files of `source` that have started a run.
    func handledFiles(of source: String) throws -> Set<String> {
        let rows = try database.execute("SELECT path FROM source_files WHERE source = ?1", [.text(source)])
        return Set(rows.compactMap { $0[0].text })
    }

    /// Remembers that `path` of `source` started `run`.
    func recordHandledFile(_ path: String, of source: String, run: String) throws {
        try write {
            try database.execute(
                "INSERT OR IGNORE INTO source_files (source, path, run, handled_at) VALUES (?1, ?2, ?3, ?4)",
                [.text(source), .text(path), .text(run), .real(Date().timeIntervalSince1970)])
        }
    }

    // MARK: - Health

    /// Why the last write to the queue failed, while writes fail; `nil` once one succeeds again.
    var writeFailure: String? { failure.withLock { $0 } }

    /// Whether the database answers a query.
    var isAnswering: Bool { (try? database.execute("SELECT count(*) FROM meta")) != nil }

    /// After a failed write: tries a small write (and the updates still waiting), so readiness recovers
    /// once the disk has room again, without waiting for the next submit.
    func probeWrite() {
        guard writeFailure != nil else { return }
        if (try? record([])) == nil { return }
        _ = try? write {
            try database.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_write_check', ?1)",
                [.text(String(Date().timeIntervalSince1970))])
        }
    }

    /// Runs a write, keeping ``writeFailure`` up to date.
    @discardableResult
    func write<T>(_ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            failure.withLock { $0 = nil }
            return result
        } catch {
            failure.withLock { $0 = "\(error)" }
            errors?.increment()
            throw error
        }
    }

    // MARK: - JSON columns

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
