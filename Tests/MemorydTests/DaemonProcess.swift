import Foundation
import JobkitSupport
import Synchronization

/// The real `memoryd` binary, started on a temporary state directory and always stopped by its PID.
final class DaemonProcess: Sendable {
    /// Real-time limit for the daemon to come up or go down on a loaded two-core machine.
    static let deadline: Duration = .seconds(30)

    let directory: URL
    let process: Process
    private let stderr = OutputBuffer()

    var socketPath: String { directory.appendingPathComponent("memoryd.sock").path }
    var stateDirectory: String { directory.appendingPathComponent("state").path }

    /// The built `memoryd`, next to the test bundle.
    static var binary: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("memoryd")
    }

    /// Whether this instance made `directory` and removes it when done.
    private let ownsDirectory: Bool

    /// Starts `memoryd run` on a new temporary directory, or on `directory` (a restart) when given; with
    /// `umask`, under that umask (set by a shell that then execs the daemon, so its pid is the daemon's).
    init(
        http: String = "127.0.0.1:0", directory: URL? = nil, arguments extra: [String] = [],
        environment: [String: String] = [:], umask: String? = nil
    ) throws {
        ownsDirectory = directory == nil
        self.directory =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("memoryd-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        process = Process()
        let run = ["run", "--http", http, "--socket", socketPath, "--state-dir", stateDirectory] + extra
        if let umask {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", Self.binary.path] + run
        } else {
            process.executableURL = Self.binary
            process.arguments = run
        }
        process.standardError = stderr.capture()
        process.standardOutput = FileHandle.nullDevice
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        try process.run()
    }

    var errorOutput: String { stderr.text.withLock { $0 } }

    /// The TCP port from the daemon's "listening on 127.0.0.1:PORT" line, once it is printed.
    func waitForPort() async throws -> Int {
        try await waitUntil("memoryd to listen") { self.port != nil }
        return port!
    }

    private var port: Int? {
        guard let range = errorOutput.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
        return Int(errorOutput[range].split(separator: ":")[1])
    }

    /// Sends SIGTERM and returns the exit status once the process is gone.
    func terminate() async throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("memoryd to exit") { !self.process.isRunning }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    /// What a failed wait reports: the daemon's stderr, and whether it still runs, with its threads' states
    /// (a start that hangs shows where).
    var diagnosis: String {
        guard process.isRunning else { return "exited with \(process.terminationStatus); stderr: \(errorOutput)" }
        let tasks = "/proc/\(process.processIdentifier)/task"
        let threads = ((try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []).sorted().map { id in
            let name = (try? String(contentsOfFile: "\(tasks)/\(id)/comm", encoding: .utf8)) ?? "?"
            let channel = (try? String(contentsOfFile: "\(tasks)/\(id)/wchan", encoding: .utf8)) ?? "?"
            return "\(name.trimmingCharacters(in: .whitespacesAndNewlines)) in \(channel)"
        }
        return "running, threads: \(threads.joined(separator: ", ")); stderr: \(errorOutput)"
    }

    /// Polls `condition` until it holds or ``deadline`` passes.
    func waitUntil(_ what: String, _ condition: () async -> Bool) async throws {
        _ = try await poll(
            what, deadline: Self.deadline, every: .milliseconds(20), context: { self.diagnosis }
        ) {
            await condition() ? true : nil
        }
    }
}

/// Text a child process wrote, collected from its pipe.
final class OutputBuffer: Sendable {
    let text = Mutex("")

    /// A pipe whose output is appended to ``text`` as it arrives; give it to the child.
    ///
    /// Read by a thread of its own with plain `read(2)` until end of file, not by a `readabilityHandler`:
    /// on Linux, a pipe torn down while its dispatch read source is registered can crash libdispatch's
    /// event loop (`_dispatch_event_loop_drain`, swift-corelibs-foundation#5507), which took down the
    /// whole test process once.
    func capture() -> Pipe {
        let pipe = Pipe()
        let reading = pipe.fileHandleForReading
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { bytes in
                    SystemCall.retrying { read(reading.fileDescriptor, bytes.baseAddress, bytes.count) }
                }
                guard count > 0 else { break }
                text.withLock { $0 += String(decoding: buffer[..<count], as: UTF8.self) }
            }
            withExtendedLifetime(reading) {}
        }.start()
        return pipe
    }
}

struct DaemonProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
