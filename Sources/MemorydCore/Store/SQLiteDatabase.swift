import CSQLite
import Synchronization

/// A value bound to or read from SQL.
enum SQLiteValue: Sendable, Hashable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
    var real: Double? { if case .real(let value) = self { value } else { nil } }
    var text: String? { if case .text(let value) = self { value } else { nil } }
}

/// A failed SQLite call, with SQLite's own message and result code.
struct SQLiteError: Error, CustomStringConvertible {
    let description: String
    /// SQLite's primary result code (`SQLITE_FULL`, `SQLITE_IOERR`, …); `SQLITE_ERROR` when unknown.
    var code: Int32 = SQLITE_ERROR

    /// The disk (or the file system's quota) is full.
    var isDiskFull: Bool { code == SQLITE_FULL }
}

/// One SQLite database file, in WAL mode with full sync: a committed transaction survives a crash or
/// power loss. Calls are serialised by a lock.
final class SQLiteDatabase: @unchecked Sendable {
    // @unchecked: the connection and the statement cache are only used under `lock`.
    private let lock = Mutex(())
    private let connection: OpaquePointer
    /// Prepared statements by their SQL, kept for reuse: parsing and planning cost more than running the
    /// small statements of the queue.
    private var statements: [String: OpaquePointer] = [:]
    let path: String

    /// How long a statement waits for a lock held by another connection (5 s).
    static let busyTimeoutMilliseconds: Int32 = 5000
    /// Distinct statements kept prepared (64). The store uses about a dozen; past the limit the cache is
    /// emptied and starts again.
    static let statementCacheLimit = 64

    /// SQLite's own bound on the pages it keeps in memory per connection (2 MiB), for callers that
    /// leave it.
    static let defaultCacheBytes = 2 << 20

    /// Opens (creating) the database at `path`, in WAL mode with full sync, keeping at most `cacheBytes`
    /// of its pages in memory; or, `readOnly`, an existing one as it is, changing nothing.
    init(path: String, readOnly: Bool = false, cacheBytes: Int = defaultCacheBytes) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let opened = sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw SQLiteError(description: "cannot open \(path): \(message)", code: opened & 0xff)
        }
        connection = handle
        sqlite3_busy_timeout(handle, Self.busyTimeoutMilliseconds)
        guard !readOnly else { return }
        try execute("PRAGMA journal_mode = WAL")
        try execute("PRAGMA synchronous = FULL")
        // A negative size is in KiB. PRAGMA takes no bound parameters; the number is ours.
        try execute("PRAGMA cache_size = -\(max(cacheBytes >> 10, 1))")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(connection)
    }

    /// Runs `sql` (one statement) with `parameters` bound to `?1`, `?2`, …; returns the result rows.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try lock.withLock { _ in try run(sql, parameters) }
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        try lock.withLock { _ in
            try run("BEGIN IMMEDIATE", [])
            do {
                let result = try body(Transaction(database: self))
                try run("COMMIT", [])
                return result
            } catch {
                _ = try? run("ROLLBACK", [])
                throw error
            }
        }
    }

    /// Statements inside ``SQLiteDatabase/transaction(_:)``.
    struct Transaction {
        fileprivate let database: SQLiteDatabase

        @discardableResult
        func execute(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
            try database.run(sql, parameters)
        }

        var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(database.connection) }
    }

    /// Must be called with `lock` held.
    @discardableResult
    private func run(_ sql: String, _ parameters: [SQLiteValue]) throws -> [[SQLiteValue]] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            switch parameter {
            case .integer(let value): sqlite3_bind_int64(statement, index, value)
            case .real(let value): sqlite3_bind_double(statement, index, value)
            case .text(let value): _ = csqlite_bind_text(statement, index, value, -1)
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        var rows: [[SQLiteValue]] = []
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                rows.append(
                    (0..<sqlite3_column_count(statement)).map { column in
                        switch sqlite3_column_type(statement, column) {
                        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
                        case SQLITE_FLOAT: .real(sqlite3_column_double(statement, column))
                        case SQLITE_NULL: .null
                        default: .text(String(cString: sqlite3_column_text(statement, column)))
                        }
                    })
            case SQLITE_DONE:
                return rows
            case let failed:
                throw SQLiteError(
                    description: "\(String(cString: sqlite3_errmsg(connection))) in: \(sql)", code: failed & 0xff)
            }
        }
    }

    /// The cached statement for `sql`, prepared on first use. Must be called with `lock` held.
    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard
            sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else {
            throw SQLiteError(
                description: "\(String(cString: sqlite3_errmsg(connection))) in: \(sql)",
                code: sqlite3_errcode(connection) & 0xff)
        }
        if statements.count >= Self.statementCacheLimit {
            for cached in statements.values { sqlite3_finalize(cached) }
            statements.removeAll()
        }
        statements[sql] = statement
        return statement
    }
}
