import CProcessSupport
import FoundationEssentials
import Jobkit

#if canImport(Glibc)
    import Glibc
#endif

/// A child process in its own process group, with stdout and stderr on pipes and stdin on /dev/null.
///
/// `posix_spawn` sets the group and resets the signal mask and dispositions in the child, so a program
/// started from a thread that blocks signals still dies on SIGTERM.
final class SpawnedProcess: Sendable {
    enum Status: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    let pid: pid_t
    private let outputs: [Int32]

    /// Longest wait in `poll` between checks of the `tick` callback (100 ms).
    static let pollInterval: Int32 = 100

    /// Starts `argv[0]` (looked up on `PATH`).
    ///
    /// - Throws: `TaskError.fatal` when the program cannot be started (not found, not executable, bad cwd).
    init(argv: [String], environment: [String: String], workingDirectory: String?) throws {
        var stdoutPipe: [Int32] = [0, 0]
        var stderrPipe: [Int32] = [0, 0]
        guard cps_pipe_cloexec(&stdoutPipe) == 0, cps_pipe_cloexec(&stderrPipe) == 0 else {
            throw TaskError.fatal("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        if let workingDirectory { cps_spawn_file_actions_addchdir(&actions, workingDirectory) }
        // Nothing but stdin, stdout and stderr: not the daemon's sockets, database or log, nor pipes of
        // other jobs being started at the same moment.
        cps_spawn_file_actions_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        let result = posix_spawnp(&pid, argv[0], &actions, &attributes, arguments, variables)
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard result == 0 else {
            close(stdoutPipe[0])
            close(stderrPipe[0])
            let place = workingDirectory.map { " in \($0)" } ?? ""
            throw TaskError.fatal("cannot start \(argv[0])\(place): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.outputs = [stdoutPipe[0], stderrPipe[0]]
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
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros, so decode the status word directly.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// Sends `signal` to the child's whole process group (including what it started and left behind).
    func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }
}
