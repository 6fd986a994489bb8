import Dispatch
import JobkitSupport
import Synchronization

/// One named OS thread that runs a scheduler's tasks, one at a time.
///
/// Workers are threads of their own, not tasks on Swift's cooperative pool, so blocking jobs
/// (subprocess waits, file I/O) cannot starve async code: the cooperative pool has only as many
/// threads as cores.
final class WorkerThread: Sendable {
    let index: Int
    let name: String
    /// Signalled once per hand-off and once to stop.
    let wakeUp = DispatchSemaphore(value: 0)

    init(index: Int, name: String) {
        self.index = index
        self.name = name
    }

    /// Starts the thread running `body`.
    func start(_ body: @escaping @Sendable () -> Void) {
        NamedThread.start(name: name, body)
    }

    /// Runs one attempt of a job on the current (worker) thread and returns how it ended.
    static func execute(_ assignment: Assignment) -> Result<Void, any Error> {
        let context = assignment.context
        switch assignment.body {
        case .blocking(let body):
            return Result { try body(context) }
        case .async(let body):
            // The worker waits for the Swift task it starts, so the job still occupies exactly this worker;
            // this is a join, not a detached piece of work.
            let done = DispatchSemaphore(value: 0)
            let outcome = Mutex<Result<Void, any Error>?>(nil)
            let task = Task {
                let result = await Result { try await body(context) }
                outcome.withLock { $0 = result }
                done.signal()
            }
            context.onCancel { _ in task.cancel() }
            done.wait()
            return outcome.withLock { $0! }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
