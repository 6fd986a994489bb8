import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
        let box = Unmanaged.passRetained(ThreadStart(name: name, body: body))
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let start = Unmanaged<ThreadStart>.fromOpaque(argument!).takeRetainedValue()
                start.run()
                return nil
            }, box.toOpaque())
        precondition(result == 0, "pthread_create failed for worker \(name): errno \(result)")
        pthread_detach(thread)
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

/// Carries a thread's name and body across `pthread_create`.
private final class ThreadStart: Sendable {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }

    func run() {
        #if os(Linux)
            setCurrentThreadName(name)
        #endif
        body()
    }
}

#if os(Linux)
    /// Names the calling thread, as `top -H` and `ps -L` show it. Best effort: a failure only loses the name.
    private func setCurrentThreadName(_ name: String) {
        // pthread_setname_np is a GNU extension Swift's Glibc module does not export; the kernel's own
        // interface is this file. The kernel keeps 15 bytes and a terminator.
        let limit = 15
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(limit))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
#endif

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
