import DequeModule
import Dispatch
import JobkitSupport
import Synchronization

/// A task executor with one OS thread of its own, for async code that makes blocking calls (a database
/// commit waiting for `fsync`, a directory scan, a `write(2)` to a slow disk).
///
/// Swift's cooperative pool has one thread per core; async code that blocks holds one of them, and a few
/// such callers at once stall every other task in the process. Code run with this executor as its
/// preference blocks this thread instead:
///
/// ```swift
/// let io = ThreadTaskExecutor(name: "daemon-io")
/// let recorder = Task(executorPreference: io) { await recordEvents(subscription) }
/// …
/// await recorder.value
/// io.shutdown()
/// ```
///
/// Its jobs run one at a time, in the order they were enqueued. Child tasks inherit the preference.
/// After ``shutdown()`` the thread ends once its queue is empty, and later jobs run on the global
/// concurrent executor, so nothing enqueued late is lost.
public final class ThreadTaskExecutor: TaskExecutor, Sendable {
    /// The thread's name, as `top -H` and `ps -L` show it (the kernel keeps its first 15 bytes).
    public let name: String

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    private struct State {
        var jobs = Deque<UnownedJob>()
        var stopping = false
    }

    /// Starts the thread.
    public init(name: String) {
        self.name = name
        NamedThread.start(name: name) { [self] in runJobs() }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted {
            wake.signal()
        } else {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// Lets the thread end once it has run the jobs already enqueued.
    public func shutdown() {
        let first = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { wake.signal() }
    }

    private func runJobs() {
        while true {
            wake.wait()
            while let job = state.withLock({ $0.jobs.popFirst() }) {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            if state.withLock({ $0.stopping && $0.jobs.isEmpty }) { return }
        }
    }
}
