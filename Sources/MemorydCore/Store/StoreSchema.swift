/// The queue database's tables, created and migrated in steps; `PRAGMA user_version` records the last
/// step applied, so a database from an earlier memoryd is brought up to date on open.
enum StoreSchema {
    /// Each step's statements, in order; step N brings `user_version` from N − 1 to N.
    static let steps: [[String]] = [
        // 1: the queue and the files sources have handled.
        [
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
            """,
            "CREATE INDEX IF NOT EXISTS unfinished ON tasks(state) WHERE state != 'finished'",
            "CREATE INDEX IF NOT EXISTS successes ON tasks(job, finished_at) WHERE outcome = 'succeeded'",
            """
            CREATE TABLE IF NOT EXISTS source_files (
                source TEXT NOT NULL,
                path TEXT NOT NULL,
                run TEXT NOT NULL,
                handled_at REAL NOT NULL,
                PRIMARY KEY (source, path)
            )
            """,
        ],
        // 2: what a restart needs to resume a task exactly once: the state directory's identity, attempts
        // interrupted by a shutdown, the pending retry's time, and the process group a running attempt had.
        [
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "ALTER TABLE tasks ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE tasks ADD COLUMN retry_at REAL",
            "ALTER TABLE tasks ADD COLUMN pgid INTEGER",
            "ALTER TABLE tasks ADD COLUMN pgid_start INTEGER",
            "ALTER TABLE tasks ADD COLUMN boot_id TEXT",
        ],
        // 3: when each scheduled job last fired, so runs missed while the daemon was down are made up.
        [
            "CREATE TABLE IF NOT EXISTS schedule_fires (job TEXT PRIMARY KEY, fired_at REAL NOT NULL)"
        ],
        // 4: the jobs paused with `memoryd pause`, which stay paused across restarts.
        ["CREATE TABLE IF NOT EXISTS paused_jobs (job TEXT PRIMARY KEY, paused_at REAL NOT NULL)"],
        // 5: each attempt's output (stdout, stderr, and what the job logged), within the bound
        // `task_output_bytes` sets: `line` numbers the attempt's lines from 1, a gap where some were dropped.
        [
            """
            CREATE TABLE IF NOT EXISTS task_output (
                task_id INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                line INTEGER NOT NULL,
                time REAL NOT NULL,
                stream TEXT NOT NULL,
                level TEXT NOT NULL,
                text TEXT NOT NULL,
                PRIMARY KEY (task_id, attempt, line)
            ) WITHOUT ROWID
            """,
            // The retention prunes finished tasks oldest first.
            "CREATE INDEX IF NOT EXISTS finished ON tasks(finished_at, id) WHERE state = 'finished'",
        ],
    ]

    /// The version a database has once every step is applied.
    static var currentVersion: Int { steps.count }

    /// Applies the steps `database` has not had yet, each in a transaction of its own.
    ///
    /// - Throws: ``SQLiteError`` if a step fails (it is rolled back), or when the database is newer than
    ///   this memoryd.
    static func migrate(_ database: SQLiteDatabase) throws {
        let version = Int(try database.execute("PRAGMA user_version").first?[0].integer ?? 0)
        guard version <= currentVersion else {
            throw SQLiteError(
                description:
                    "\(database.path) has schema version \(version), newer than this memoryd's \(currentVersion); run the newer memoryd"
            )
        }
        for (index, statements) in steps.enumerated() where index >= version {
            try database.transaction { transaction in
                for statement in statements { try transaction.execute(statement) }
                // PRAGMA takes no bound parameters; the number is ours.
                try transaction.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}
