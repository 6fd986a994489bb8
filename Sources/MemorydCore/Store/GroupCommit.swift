import Dispatch
import Jobkit
import JobkitSupport
import Synchronization

/// Commits concurrent writes together: callers hand in their work and wait; one committer thread runs
/// everything waiting in a single transaction, so many acknowledgements share one fsync.
///
/// A caller alone waits for one commit, as it would without batching; under load, throughput rises with
/// the number of callers instead of being capped by the disk's fsync rate. A caller that must not wait
/// (an HTTP handler) hands its work in with a completion instead (``enqueue(_:completion:)``).
final class GroupCommit: Sendable {
    /// What the committer hears once a request's work is durable, or failed.
    typealias Completion = @Sendable (Result<[Int64], any Error>) -> Void

    /// One caller's work and, once committed, its result.
    private final class Request: @unchecked Sendable {
        // @unchecked: `result` is written and read by the committer thread only.
        let work: (SQLiteDatabase.Transaction) throws -> [Int64]
        var result: Result<[Int64], any Error>?
        let completion: Completion

        init(_ work: @escaping (SQLiteDatabase.Transaction) throws -> [Int64], completion: @escaping Completion) {
            self.work = work
            self.completion = completion
        }
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
        final class Outcome: @unchecked Sendable {
            // @unchecked: written by the committer before `done` is signalled, read after.
            var result: Result<[Int64], any Error>?
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        enqueue(work) { result in
            outcome.result = result
            outcome.done.signal()
        }
        outcome.done.wait()
        return try outcome.result!.get()
    }

    /// Runs `work` in a transaction shared with whatever else is waiting, and returns at once;
    /// `completion` is called on the committer's thread once the work is durable (or failed). It must not
    /// wait for another commit.
    func enqueue(
        _ work: @escaping (SQLiteDatabase.Transaction) throws -> [Int64], completion: @escaping Completion
    ) {
        waiting.withLock { $0.append(Request(work, completion: completion)) }
        available.signal()
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
            for request in batch { request.completion(request.result!) }
        }
    }
}
