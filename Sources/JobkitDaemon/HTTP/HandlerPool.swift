import DequeModule
import Dispatch
import Jobkit
import Synchronization

/// Threads that run route handlers away from libmicrohttpd's threads, so a handler that waits (a submit
/// waits for its commit) holds up no other connection, and as many handlers can wait at once as there
/// are threads, wherever their connections landed.
final class HandlerPool: Sendable {
    private let jobs = Mutex(Deque<@Sendable () -> Void>())
    private let stopped = Atomic<Bool>(false)
    private let available = DispatchSemaphore(value: 0)
    private let threads: Int

    /// Starts `threads` threads named `name-0`, `name-1`, …
    init(threads: Int, name: String) {
        self.threads = threads
        for index in 0..<threads {
            NamedThread.start(name: "\(name)-\(index)") { [self] in run() }
        }
    }

    /// Runs `job` on one of the threads, after the jobs before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        available.signal()
    }

    /// Lets the threads finish the queued jobs and end.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for _ in 0..<threads { available.signal() }
    }

    private func run() {
        while true {
            available.wait()
            if let job = jobs.withLock({ $0.popFirst() }) {
                job()
            } else if stopped.load(ordering: .acquiring) {
                return
            }
        }
    }
}
