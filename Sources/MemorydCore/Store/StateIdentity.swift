import FoundationEssentials
import JobkitDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// One identity for a state directory, written in the directory (`identity`) and in its queue database
/// (`meta.state_id`), so a start notices a database that was lost, emptied or swapped for another
/// directory's instead of starting empty and silently dropping the unfinished tasks.
struct StateIdentity: Sendable, Hashable {
    /// File in the state directory that holds the identity.
    static let fileName = "identity"
    /// Key of the identity in the database's `meta` table.
    static let metaKey = "state_id"

    let value: String

    /// A new random identity (128 bits, hex).
    static func make() -> StateIdentity {
        StateIdentity(
            value: (0..<2).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.map {
                String(repeating: "0", count: 16 - $0.count) + $0
            }.joined())
    }

    /// What the check decided.
    enum Verdict: Equatable {
        /// Directory and database agree.
        case matches(StateIdentity)
        /// A new state directory (or one from before identities): give both this identity.
        case new(StateIdentity)
        /// The database has the identity but the directory lost its file: write it again.
        case restoreFile(StateIdentity)
    }

    /// Compares the directory's identity with the database's before anything is written.
    ///
    /// - Parameter logHasEvents: whether the event log already holds events (a directory used before
    ///   identities existed).
    /// - Throws: ``DaemonError`` `.damagedState` explaining what is wrong and what to do.
    static func check(directory: String, databasePath: String, logHasEvents: Bool) throws -> Verdict {
        let identityPath = directory + "/" + fileName
        let recorded = try readFile(identityPath)
        let database = try DatabaseLook(path: databasePath)
        let advice =
            "The unfinished tasks it held are gone; restore \(databasePath) from a backup, or start with --reset-state to set this state aside and begin empty."
        switch (recorded, database.identity) {
        case (let recorded?, let stored?):
            guard recorded == stored else {
                throw DaemonError(
                    .damagedState,
                    "\(databasePath) belongs to another state directory (identity \(stored.value), this directory's is \(recorded.value)). Put the right database back, or start with --reset-state."
                )
            }
            return .matches(recorded)
        case (let recorded?, nil):
            let what = database.exists ? (database.isEmpty ? "is empty" : "has no identity") : "is missing"
            throw DaemonError(
                .damagedState,
                "\(databasePath) \(what), but this state directory has been used (identity \(recorded.value)). \(advice)"
            )
        case (nil, let stored?):
            return .restoreFile(stored)
        case (nil, nil):
            if !database.hasTasks && logHasEvents {
                throw DaemonError(
                    .damagedState,
                    "\(databasePath) is \(database.exists ? "empty" : "missing"), but this state directory's event log shows it has been used. \(advice)"
                )
            }
            return .new(make())
        }
    }

    /// Writes the identity file (private, durable).
    func writeFile(in directory: String) throws {
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        let descriptor = try PrivateFiles.open(temporary, flags: O_WRONLY | O_TRUNC)
        defer { close(descriptor) }
        let bytes = Array((value + "\n").utf8)
        guard bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count,
            fsync(descriptor) == 0, rename(temporary, path) == 0
        else {
            throw DaemonError(.system, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func readFile(_ path: String) throws -> StateIdentity? {
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let value = String(text.unicodeScalars.filter { !$0.properties.isWhitespace })
            guard !value.isEmpty else {
                throw DaemonError(.damagedState, "\(path) is empty; remove it to adopt the database's identity")
            }
            return StateIdentity(value: value)
        } catch let error as DaemonError {
            throw error
        } catch {
            var status = stat()
            if stat(path, &status) != 0 && errno == ENOENT { return nil }
            throw DaemonError(.damagedState, "cannot read \(path): \(error)")
        }
    }

    /// What an existing database file holds, read without changing it.
    private struct DatabaseLook {
        var exists = false
        var isEmpty = true
        var hasTasks = false
        var identity: StateIdentity?

        init(path: String) throws {
            var status = stat()
            guard stat(path, &status) == 0 else {
                guard errno == ENOENT else {
                    throw DaemonError(.damagedState, "cannot read \(path): \(String(cString: strerror(errno)))")
                }
                return
            }
            exists = true
            guard status.st_size > 0 else { return }
            do {
                let database = try SQLiteDatabase(path: path, readOnly: true)
                let tables = Set(
                    try database.execute("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap {
                        $0[0].text
                    })
                isEmpty = tables.isEmpty
                hasTasks = tables.contains("tasks")
                if tables.contains("meta") {
                    identity = try database.execute(
                        "SELECT value FROM meta WHERE key = ?1", [.text(StateIdentity.metaKey)]
                    ).first?[0].text.map(StateIdentity.init(value:))
                }
            } catch {
                throw DaemonError(
                    .damagedState,
                    "\(path) cannot be read as a database (\(error)). Restore it from a backup, or start with --reset-state."
                )
            }
        }
    }
}
