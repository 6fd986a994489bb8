import Foundation
import Testing

@testable import MemorydCore

struct GroupCommitTests {
    @Test func concurrentWritesAllCommitAndAFailingOneUndoesOnlyItself() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gc-\(UUID().uuidString).sqlite3").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let database = try SQLiteDatabase(path: path)
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        let commits = GroupCommit(database: database)
        let writers = 8
        let perWriter = 25
        let failures = DispatchQueue(label: "failures")
        nonisolated(unsafe) var failed = 0
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for index in 0..<perWriter {
                let n = writer * 1000 + index
                do {
                    _ = try commits.perform { transaction in
                        try transaction.execute("INSERT INTO t (n) VALUES (?1)", [.integer(Int64(n))])
                        // Every fifth write fails after inserting: its row must not survive.
                        if index % 5 == 4 { throw SQLiteError(description: "refused \(n)") }
                        return [transaction.lastInsertedRow]
                    }
                } catch {
                    failures.sync { failed += 1 }
                }
            }
        }
        let rows = try database.execute("SELECT n FROM t").compactMap { $0[0].integer }
        #expect(failed == writers * perWriter / 5)
        #expect(rows.count == writers * perWriter - failed)
        #expect(rows.allSatisfy { $0 % 1000 % 5 != 4 })
    }
}
