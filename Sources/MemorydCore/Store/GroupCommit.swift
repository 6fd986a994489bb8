import Dispatch
import JobkitSupport
import Jobkit
import Synchronization

/// Commits concurrent writes together: callers hand in their work and wait; one committer thread runs
/// everything waiting in a single transaction, so many acknowledgements share one fsync.
///
/// A caller alone waits for one commit, as it would without batching; under load, throughput rises with
/// the number of callers instead of being capped by the disk's fsync rate.
final class GroupCommit: Sendable {
    /// One caller's work and, once committed, its result.
    private final class Request: @unchecked Sendable {
        // @unchecked: `result` is written by the committer before `done` is signalled, and read after.
        let work: (SQLiteDatabase.Transaction) throws -> [Int64]
        var result: Result<[Int64], any Error>?
        let done = DispatchSemaphore(value: 0)

        init(_ work: @escaping (SQLiteDatabase.Transaction) throws -> [Int64]) { self.work = work }
    }

    private let database: SQLiteDatabase
    private let waiting = Mutex<[Request]>([])
    private let available = DispatchSemaphore(value: 0)

    init(database: SQLiteDatabase) {
        self.database = database
        NamedThread.start(name: "queue-commit") { [self] in commitLoop() }
    }

    /// Runs `work` in a transaction shared with whatever else is waiting; returns once it is durable.
    func perform(_ work: @escaping (SQLiteDatabase.Transaction) throws -> [Int64]) throws -> [Int64] {
        let request = Request(work)
        waiting.withLock { $0.append(request) }
        available.signal()
        request.done.wait()
        return try request.result!.get()
    }

    private func commitLoop() {
        while true {
            available.wait()
            let batch = waiting.withLock { waiting -> [Request] in
                defer { waiting.removeAll() }
                return waiting
            }
            guard !batch.isEmpty else { continue }
            do {
                // Each request in a savepoint of its own, so one failing does not undo the others.
                try database.transaction { transaction in
                    for request in batch {
                        try transaction.execute("SAVEPOINT request")
                        do {
                            request.result = .success(try request.work(transaction))
                            try transaction.execute("RELEASE request")
                        } catch {
                            request.result = .failure(error)
                            try transaction.execute("ROLLBACK TO request")
                            try transaction.execute("RELEASE request")
                        }
                    }
                }
            } catch {
                // The commit itself failed: nothing in the batch is durable.
                for request in batch { request.result = .failure(error) }
            }
            for request in batch { request.done.signal() }
        }
    }
}
