#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A detached OS thread with a name, for loops that block (workers, the queue's committer) and so must
/// not run on Swift's cooperative pool.
package enum NamedThread {
    /// Starts a detached thread named `name` (as `top -H` shows it) running `body`.
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadStart(name: name, body: body))
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let start = Unmanaged<ThreadStart>.fromOpaque(argument!).takeRetainedValue()
                start.run()
                return nil
            }, box.toOpaque())
        precondition(result == 0, "pthread_create failed for thread \(name): errno \(result)")
        pthread_detach(thread)
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
