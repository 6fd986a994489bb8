import Foundation

/// Real-time limit for one command-line tool run by a test (`promtool`, `curl`, `memoryd submit`, …).
let toolDeadline: Duration = .seconds(120)

/// Runs a real command-line tool (looked up on `PATH`) and returns its exit status and combined output.
///
/// Spawned directly and reaped with `waitpid`, not through Foundation's `Process`: once, with the tool
/// already gone (its output closed), `waitUntilExit` spun in its run loop at 100% CPU for 15 minutes
/// while the suite ran other children in parallel; the cause inside Foundation was not found. The child
/// gets an empty signal mask (a test thread may block SIGTERM), `input` (or /dev/null) as its stdin,
/// and a temporary file as stdout and stderr; after `deadline` it is killed and the run throws. The wait
/// sleeps between looks instead of blocking its thread, so tools running in parallel suites never hold
/// all of Swift's cooperative threads.
func runTool(
    _ tool: String, _ arguments: [String], input: Data? = nil, deadline: Duration = toolDeadline
) async throws -> (status: Int32, output: String) {
    let child = try SpawnedTool(tool, arguments, input: input)
    defer { child.cleanUp() }
    let end = ContinuousClock.now.advanced(by: deadline)
    while true {
        if let status = try child.reap() { return (status, child.output) }
        if ContinuousClock.now >= end { throw child.kill(after: deadline) }
        // Sleeping as a task, not blocking the thread: Swift's cooperative pool has one thread per core,
        // and the code under test (stream producers) needs them while tools run.
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// ``runTool(_:_:input:deadline:)`` for the few places that cannot wait as a task (`deinit`, `defer`):
/// it blocks its thread.
func runToolBlocking(
    _ tool: String, _ arguments: [String], deadline: Duration = toolDeadline
) throws -> (status: Int32, output: String) {
    let child = try SpawnedTool(tool, arguments, input: nil)
    defer { child.cleanUp() }
    let end = ContinuousClock.now.advanced(by: deadline)
    while true {
        if let status = try child.reap() { return (status, child.output) }
        if ContinuousClock.now >= end { throw child.kill(after: deadline) }
        usleep(2_000)
    }
}

/// A tool started with posix_spawn, its output in a temporary file.
private final class SpawnedTool {
    let tool: String
    let arguments: [String]
    let scratch: URL
    let outputFile: String
    let pid: pid_t

    init(_ tool: String, _ arguments: [String], input: Data?) throws {
        self.tool = tool
        self.arguments = arguments
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        outputFile = scratch.appendingPathComponent("output").path
        var inputFile = "/dev/null"
        if let input {
            inputFile = scratch.appendingPathComponent("input").path
            try input.write(to: URL(fileURLWithPath: inputFile))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputFile, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, tool, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            try? FileManager.default.removeItem(at: scratch)
            throw DaemonProcessError(message: "could not start \(tool): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    var output: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }

    /// The exit status (128 + signal for a signal) once the tool has ended, else `nil`.
    func reap() throws -> Int32? {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
        if reaped < 0 && errno != EINTR {
            throw DaemonProcessError(message: "waitpid(\(tool)): \(String(cString: strerror(errno)))")
        }
        return nil
    }

    /// Kills the tool that ran too long and says so.
    func kill(after deadline: Duration) -> DaemonProcessError {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return DaemonProcessError(
            message: "\(tool) \(arguments) ran past \(deadline) and was killed; it printed: \(output)")
    }

    func cleanUp() { try? FileManager.default.removeItem(at: scratch) }
}
