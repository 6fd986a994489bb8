import Foundation
import JobkitSupport
import Synchronization
import Testing

@testable import MemorydCore

/// Submits waiting for their commit are parked: they hold no thread of the real daemon each, and the
/// daemon keeps answering meanwhile.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ParkedSubmitsEndToEndTests {
    /// Submits sent at once, each on a connection of its own: far more than the daemon's threads.
    static let submits = 40
    /// Threads the daemon may start beside its idle ones while they wait (none is expected; a thread per
    /// connection would be one per submit).
    static let threadSlack = 4

    @Test func submitsWaitingForALockedQueueHoldNoThreadEachAndAreAllAnswered() async throws {
        let directory = try makeTemporaryDirectory("parked")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig("[jobs.t]\ncommand = [\"true\"]\n", in: directory)
        let daemon = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await daemon.waitForPort()
        let client = HTTPClient(.unix(path: daemon.socketPath))
        let idleThreads = try Self.threads(of: daemon.process.processIdentifier)

        // Another connection holds the queue's write lock (as `sqlite3` or a backup would), so every
        // submit's commit waits for it, up to SQLite's busy timeout.
        let locker = try SQLiteDatabase(path: daemon.stateDirectory + "/" + TaskStore.fileName)
        try locker.execute("BEGIN IMMEDIATE")
        let statuses = Mutex<[Int]>([])
        let answered = DispatchGroup()
        for _ in 0..<Self.submits {
            answered.enter()
            Thread {
                let request = HTTPClient.Request(
                    "POST", "/v1/tasks", headers: [("Content-Type", "application/json")],
                    body: Array(#"{"job":"t"}"#.utf8))
                let status = (try? client.fetch(request).status) ?? 0
                statuses.withLock { $0.append(status) }
                answered.leave()
            }.start()
        }
        var waitingThreads = 0
        try await daemon.waitUntil("\(Self.submits) submits to wait for their commit") {
            guard let metrics = try? client.fetch(HTTPClient.Request("GET", "/metrics")) else { return false }
            let active = Self.activeConnections(
                in: String(decoding: metrics.body, as: UTF8.self), listener: daemon.socketPath)
            waitingThreads = (try? Self.threads(of: daemon.process.processIdentifier)) ?? 0
            return active >= Self.submits
        }
        try locker.execute("ROLLBACK")
        #expect(
            waitingThreads <= idleThreads + Self.threadSlack,
            "\(waitingThreads) threads while \(Self.submits) submits waited; \(idleThreads) idle")

        let deadline = DispatchTime.now() + .seconds(Int(DaemonProcess.deadline.components.seconds))
        #expect(await onThread { answered.wait(timeout: deadline) } == .success, "not every submit was answered")
        // 201 once the lock went; 503 store_unavailable for a commit that waited past the busy timeout
        // on a slow machine. Never a dropped connection.
        let all = statuses.withLock { $0 }
        #expect(all.count == Self.submits && all.allSatisfy { $0 == 201 || $0 == 503 }, "statuses: \(all)")
        #expect(all.contains(201))
        #expect(try await daemon.terminate() == 0)
    }

    /// `jobkit_http_connections{listener=…,state="active"}`: connections whose request a handler answers.
    static func activeConnections(in metrics: String, listener: String) -> Int {
        let series = "jobkit_http_connections{listener=\"\(listener)\",state=\"active\"} "
        return metrics.split(separator: "\n").first { $0.hasPrefix(series) }
            .flatMap { Double($0.dropFirst(series.count)) }.map { Int($0) } ?? 0
    }

    /// The `Threads:` line of `/proc/PID/status`.
    static func threads(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
        return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }
}

/// Runs blocking `work` on a new thread, keeping Swift's cooperative pool free.
private func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
