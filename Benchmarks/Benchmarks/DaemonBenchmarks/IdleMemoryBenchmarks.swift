import Benchmark
import Foundation

// Idle resident memory of the real memoryd release binary, read from /proc/PID/status once the daemon
// has started and its RSS has settled. Beside it, the same binary as a client (`memoryd events --follow`
// waiting on that daemon): the floor of any process of this binary, so the difference is what the
// daemon itself holds.
//
// Build the binary first, in the repository root: `swift build -c release` (or point MEMORYD_BINARY at one).

/// The binary measured: `$MEMORYD_BINARY`, else the main package's release build next to this package.
let memorydBinary = ProcessInfo.processInfo.environment["MEMORYD_BINARY"] ?? "../.build/release/memoryd"
/// How long a process may take to start before the benchmark fails.
let processStartDeadline: Duration = .seconds(30)
/// Seconds between RSS readings while waiting for it to settle.
let rssPollSeconds = 0.25
/// Consecutive readings that must be equal (to `rssSettleToleranceKiB`) for memory to count as settled.
let rssSettleReadings = 4
/// Difference between readings still counted as equal, in KiB.
let rssSettleToleranceKiB = 64

/// This process' environment without `LD_PRELOAD`: the benchmark harness preloads its malloc interposer,
/// which would otherwise load a second Swift runtime into the measured process.
let measuredEnvironment = ProcessInfo.processInfo.environment.filter { $0.key != "LD_PRELOAD" }

/// Resident memory in tenths of a MiB (186 is 18.6 MiB): the tool shows values of 1,000 and more only
/// to two significant digits, too coarse to compare with the 20 MB target.
let rssMetric = BenchmarkMetric.custom("RSS (0.1 MiB)", polarity: .prefersSmaller, useScalingFactor: false)

let idleMemoryBenchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [rssMetric], scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 5)

    Benchmark("idle RSS: memoryd run (release binary)", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            let daemon = try IdleDaemon()
            defer { daemon.stop() }
            benchmark.measurement(rssMetric, try settledRSS(of: daemon.process) * 10 / 1024)
        }
    }

    Benchmark("idle RSS: memoryd events --follow (same binary as a client)", configuration: configuration) {
        benchmark in
        for _ in benchmark.scaledIterations {
            let daemon = try IdleDaemon()
            defer { daemon.stop() }
            let client = Process()
            client.executableURL = URL(fileURLWithPath: memorydBinary)
            client.arguments = ["events", "--follow", "--socket", daemon.socket]
            client.environment = measuredEnvironment
            client.standardOutput = FileHandle.nullDevice
            try client.run()
            defer { terminate(client) }
            benchmark.measurement(rssMetric, try settledRSS(of: client) * 10 / 1024)
        }
    }
}

/// A memoryd daemon on a temporary state directory, with no config, no TCP listener and no jobs.
final class IdleDaemon {
    let socket: String
    let process = Process()

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: memorydBinary) else {
            throw BenchmarkFailure(
                "no memoryd binary at \(memorydBinary): run `swift build -c release` in the repository root, "
                    + "or set MEMORYD_BINARY")
        }
        let directory = temporaryDirectory("bench-idle")
        socket = directory + "/memoryd.sock"
        process.executableURL = URL(fileURLWithPath: memorydBinary)
        process.arguments = ["run", "--state-dir", directory + "/state", "--socket", socket, "--http", ""]
        process.environment = measuredEnvironment
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        try waitForLine(containing: "listening on", from: errors.fileHandleForReading.fileDescriptor)
    }

    func stop() { terminate(process) }
}

/// Stops `process` by its pid: SIGTERM, then SIGKILL if it has not exited within ``processStartDeadline``.
func terminate(_ process: Process) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGTERM)
    let deadline = ContinuousClock.now + processStartDeadline
    while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}

/// `VmRSS` of `process` in KiB, once `rssSettleReadings` readings in a row agree.
func settledRSS(of process: Process) throws -> Int {
    let deadline = ContinuousClock.now + processStartDeadline
    var readings: [Int] = []
    while ContinuousClock.now < deadline {
        guard process.isRunning else { throw BenchmarkFailure("process \(process.processIdentifier) exited") }
        readings.append(try residentKiB(of: process.processIdentifier))
        let recent = readings.suffix(rssSettleReadings)
        if recent.count == rssSettleReadings, recent.max()! - recent.min()! <= rssSettleToleranceKiB {
            return recent.last!
        }
        Thread.sleep(forTimeInterval: rssPollSeconds)
    }
    throw BenchmarkFailure("RSS of process \(process.processIdentifier) did not settle: \(readings)")
}

private func residentKiB(of pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    else { throw BenchmarkFailure("no VmRSS in /proc/\(pid)/status") }
    return kib
}

/// Reads `descriptor` until a line contains `text`, failing after ``processStartDeadline``.
private func waitForLine(containing text: String, from descriptor: Int32) throws {
    let deadline = ContinuousClock.now + processStartDeadline
    var seen: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !String(decoding: seen, as: UTF8.self).contains(text) {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { throw BenchmarkFailure("no '\(text)' within \(processStartDeadline)") }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let millis = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, max(millis, 1)) > 0 else { continue }
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else {
            throw BenchmarkFailure("the process closed stderr first: \(String(decoding: seen, as: UTF8.self))")
        }
        seen += buffer[0..<count]
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
