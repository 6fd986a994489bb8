import CProcessSupport
import FoundationEssentials
import Jobkit
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A child process in its own process group, with stdout and stderr on pipes and stdin on /dev/null.
///
/// The child starts with default signal dispositions and an empty mask (so a program started from a
/// thread that blocks signals still dies on SIGTERM), inherits no descriptor of the daemon's, and gets
/// SIGKILL if the daemon dies (`PR_SET_PDEATHSIG`; what it started itself is left to the next daemon,
/// which finds the group by what ``beforeExec`` recorded). The program only runs once ``beforeExec`` has
/// returned.
final class SpawnedProcess: Sendable {
    enum Status: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    let pid: pid_t
    private let outputs: [Int32]

    /// Longest wait in `poll` between checks of the `tick` callback (100 ms).
    static let pollInterval: Int32 = 100
    /// Signal the child gets when the thread that started it ends, the daemon's death included.
    static let deathSignal = SIGKILL

    /// Starts `argv[0]` (looked up on the `PATH` of `environment`, else the daemon's).
    ///
    /// - Parameter beforeExec: called with the child's pid while it waits to exec; if it throws, the child
    ///   exits without running the program and the error is rethrown.
    /// - Throws: `TaskError.fatal` when the program cannot be started (not found, not executable, bad cwd).
    init(
        argv: [String], environment: [String: String], workingDirectory: String?,
        beforeExec: (pid_t) throws -> Void = { _ in }
    ) throws {
        guard let program = argv.first, !program.isEmpty else { throw TaskError.fatal("the command is empty") }
        let place = workingDirectory.map { " in \($0)" } ?? ""
        guard let path = Self.resolve(program, path: environment["PATH"], in: workingDirectory) else {
            throw TaskError.fatal("cannot start \(program)\(place): \(String(cString: strerror(ENOENT)))")
        }
        var stdoutPipe: [Int32] = [0, 0]
        var stderrPipe: [Int32] = [0, 0]
        guard cps_pipe_cloexec(&stdoutPipe) == 0 else {
            throw TaskError.fatal("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        guard cps_pipe_cloexec(&stderrPipe) == 0 else {
            let reason = String(cString: strerror(errno))
            stdoutPipe.forEach { close($0) }
            throw TaskError.fatal("cannot create pipes: \(reason)")
        }
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var child: OpaquePointer?
        let spawned = path.withCString { pathPointer in
            arguments.withUnsafeBufferPointer { argumentPointers in
                variables.withUnsafeBufferPointer { variablePointers in
                    Self.withOptionalCString(workingDirectory) { directory in
                        var request = cps_spawn_request(
                            path: pathPointer, argv: argumentPointers.baseAddress, envp: variablePointers.baseAddress,
                            directory: directory, stdout_fd: stdoutPipe[1], stderr_fd: stderrPipe[1],
                            death_signal: Self.deathSignal)
                        return cps_spawn(&request, &child)
                    }
                }
            }
        }
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard spawned > 0, let child else {
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw TaskError.fatal("cannot start \(program)\(place): \(String(cString: strerror(-spawned)))")
        }
        do {
            try beforeExec(spawned)
        } catch {
            _ = cps_release(child, 0)
            _ = cps_exec_error(child)
            Self.reap(spawned)
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw error
        }
        _ = cps_release(child, 1)
        let execError = cps_exec_error(child)
        guard execError == 0 else {
            Self.reap(spawned)
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw TaskError.fatal("cannot start \(program)\(place): \(String(cString: strerror(execError)))")
        }
        self.pid = spawned
        self.outputs = [stdoutPipe[0], stderrPipe[0]]
    }

    /// `program` as a path: itself when it has a `/` (relative to `directory`), else the first executable
    /// file of that name on `path` (the daemon's `PATH` when `nil`), as `execvp` would look it up.
    static func resolve(_ program: String, path: String?, in directory: String?) -> String? {
        if program.contains("/") { return program }
        let search = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for entry in search.split(separator: ":", omittingEmptySubsequences: false) {
            let folder = entry.isEmpty ? "." : String(entry)
            let candidate = folder + "/" + program
            var status = stat()
            let absolute = candidate.hasPrefix("/") || directory == nil ? candidate : directory! + "/" + candidate
            if access(absolute, X_OK) == 0, stat(absolute, &status) == 0, status.st_mode & S_IFMT == S_IFREG {
                return candidate
            }
        }
        return nil
    }

    private static func withOptionalCString<T>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }

    /// Waits for a child that will not run its program.
    private static func reap(_ pid: pid_t) {
        var status: Int32 = 0
        SystemCall.retrying { waitpid(pid, &status, 0) }
    }

    /// Reads stdout (index 0) and stderr (index 1) until both close, handing each read to `onData`;
    /// calls `tick` at least every ``pollInterval`` milliseconds.
    func readOutput(_ onData: (Int, ArraySlice<UInt8>) -> Void, tick: () -> Void) {
        var open = outputs.map { Optional($0) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while open.contains(where: { $0 != nil }) {
            var descriptors = open.map { pollfd(fd: $0 ?? -1, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Self.pollInterval)
            tick()
            guard ready > 0 else { continue }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                guard let descriptor = open[index] else { continue }
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    onData(index, buffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    close(descriptor)
                    open[index] = nil
                }
            }
        }
    }

    /// Waits for the child to exit.
    func wait() -> Status {
        var status: Int32 = 0
        SystemCall.retrying { waitpid(pid, &status, 0) }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros, so decode the status word directly.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// Sends `signal` to the child's whole process group (including what it started and left behind).
    func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }
}
