import Foundation
import Testing

/// After `kill -9`, no task runs in two processes at once: the killed daemon's commands die with it or
/// are ended by the next daemon before their tasks run again.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CrashEndToEndTests {
    /// Live processes named `name` whose environment holds `MEMORYD_RUN_ID=run`, from /proc.
    static func processes(named name: String, run: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                !status.contains("State:\tZ"),
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return false }
            return environment.split(separator: 0).contains { Array($0) == Array("MEMORYD_RUN_ID=\(run)".utf8) }
        }.sorted()
    }

    @Test func afterKillNineEachTaskRunsInExactlyOneProcess() async throws {
        let directory = try makeTemporaryDirectory("crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The shell starts sleep as a child and waits: killing the shell alone leaves the sleep running.
        let config = try writeConfig(
            """
            [daemon]
            workers = 3
            shutdown_grace = "1s"

            [jobs.sleeper]
            command = ["sh", "-c", "sleep 600 & wait"]
            """, in: directory)
        let first = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await first.waitForPort()
        var runs: [String] = []
        for _ in 0..<3 {
            let answer = try await curl(
                "POST", "/v1/tasks", at: .socket(first.socketPath), body: #"{"job": "sleeper"}"#)
            runs.append(try #require(answer.json["run"] as? String))
        }
        let before = try await poll("three sleeps to run", deadline: .seconds(30)) { () -> [String: [Int32]]? in
            let found = Dictionary(uniqueKeysWithValues: runs.map { ($0, Self.processes(named: "sleep", run: $0)) })
            return found.values.allSatisfy { $0.count == 1 } ? found : nil
        }
        kill(first.process.processIdentifier, SIGKILL)
        try await first.waitUntil("the daemon to die") { !first.process.isRunning }
        // The commands' shells die with the daemon (PR_SET_PDEATHSIG); what they started lives on.
        _ = try await poll("the shells to die with the daemon", deadline: .seconds(10)) {
            runs.allSatisfy { Self.processes(named: "sh", run: $0).isEmpty } ? true : nil
        }

        let second = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await second.waitForPort()
        #expect(
            second.errorOutput.contains("ended 3 processes the previous daemon's tasks left running"),
            "\(second.errorOutput)")
        let after = try await poll("the three tasks to run again", deadline: .seconds(30)) { () -> [String: [Int32]]? in
            let found = Dictionary(uniqueKeysWithValues: runs.map { ($0, Self.processes(named: "sleep", run: $0)) })
            return found.values.allSatisfy { !$0.isEmpty } ? found : nil
        }
        for run in runs {
            #expect(after[run]?.count == 1, "\(run) runs in \(after[run] ?? [])")
            #expect(Set(after[run] ?? []).isDisjoint(with: before[run] ?? []), "\(run)'s old process survived")
        }
        // The API counts the interrupted attempt, as the environment does.
        let tasks =
            (try await curl("GET", "/v1/tasks?state=running", at: .socket(second.socketPath)).json["tasks"]
                as? [[String: Any]]) ?? []
        #expect(tasks.filter { $0["job"] as? String == "sleeper" }.map { $0["attempt"] as? Int } == [2, 2, 2])
        let environment = try #require(FileManager.default.contents(atPath: "/proc/\(after[runs[0]]![0])/environ"))
        #expect(environment.split(separator: 0).contains { Array($0) == Array("MEMORYD_ATTEMPT=2".utf8) })

        // A clean stop interrupts them and leaves nothing behind.
        #expect(try await second.terminate() == 0)
        _ = try await poll("every sleep to end", deadline: .seconds(10)) {
            runs.allSatisfy { Self.processes(named: "sleep", run: $0).isEmpty } ? true : nil
        }
    }
}
