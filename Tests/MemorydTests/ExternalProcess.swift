import Foundation
import Synchronization

/// A real server program (Prometheus, …) started for a test and always stopped by its PID.
final class ExternalProcess: Sendable {
    let process: Process
    private let output = OutputBuffer()

    /// Starts `tool` (looked up on `PATH`) with `arguments`, collecting its combined output.
    init(_ tool: String, _ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = output.capture()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
    }

    /// What the program has printed so far.
    var printed: String { output.text.withLock { $0 } }

    /// Sends `signal` and waits for the process to exit, sending SIGKILL if it is still there after `grace`;
    /// returns its status.
    ///
    /// A child started from a test inherits the signal mask of the thread that spawned it, which may block
    /// SIGTERM (curl then ignores it), hence the SIGKILL fallback.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        let end = ContinuousClock.now.advanced(by: grace)
        while process.isRunning && ContinuousClock.now < end { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { stop() }
}

/// A loopback TCP port that was free a moment ago (the kernel picks it; the socket is closed at once).
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
        }
    }
    guard bound else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    return Int(in_port_t(bigEndian: address.sin_port))
}

/// Polls `condition` until it returns a value or `deadline` passes.
func poll<T>(
    _ what: String, deadline: Duration, every interval: Duration = .milliseconds(250), context: () -> String = { "" },
    _ condition: () async throws -> T?
) async throws -> T {
    let end = ContinuousClock.now.advanced(by: deadline)
    while true {
        if let value = try await condition() { return value }
        guard ContinuousClock.now < end else {
            throw DaemonProcessError(message: "gave up waiting for \(what) after \(deadline); \(context())")
        }
        try await Task.sleep(for: interval)
    }
}

/// Waits for `semaphore` on a thread of its own, so the test does not hold one of Swift's few cooperative
/// threads (which the code under test needs) while it waits.
func wait(for semaphore: DispatchSemaphore, seconds: Double) async -> DispatchTimeoutResult {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: semaphore.wait(timeout: .now() + seconds)) }.start()
    }
}

/// A new empty directory under the temporary directory, named `prefix-UUID`; the caller removes it.
func makeTemporaryDirectory(_ prefix: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// Writes `toml` as `memoryd.toml` in `directory`; returns its URL.
func writeConfig(_ toml: String, in directory: URL) throws -> URL {
    let config = directory.appendingPathComponent("memoryd.toml")
    try toml.write(to: config, atomically: true, encoding: .utf8)
    return config
}
