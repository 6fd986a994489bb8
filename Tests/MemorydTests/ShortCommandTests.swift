import Foundation
import JobkitHealth
import Testing

@testable import MemorydCore

/// Health-check and hook commands: output kept, a timeout stops the whole group, statuses map to health.
struct ShortCommandTests {
    func job(_ name: String) -> MemorydConfig.Job {
        MemorydConfig.Job(
            name: name, command: ["true"], environment: ["GREETING": "hello"], workingDirectory: "/tmp", timeout: nil,
            retries: 0, backoff: nil, pools: [:], schedule: nil, dependsOn: [], healthCheck: nil, stuckAfter: nil,
            location: SourceLocation(file: "test.toml", line: 1, column: 1))
    }

    @Test func theFirstLineOfOutputIsTheMessageAndTheStatusTheHealth() async {
        let cases: [(String, HealthCheckResult)] = [
            ("echo \"$GREETING from $MEMORYD_JOB in $(pwd)\"; echo second line", .ok("hello from db in /tmp")),
            ("echo 'replica lag 40s'; exit 1", .warning("replica lag 40s")),
            ("echo down >&2; exit 2", .critical("down")),
            ("exit 3", .critical("sh exited with status 3")),
            ("kill -9 $$", .critical("sh was killed by signal 9")),
        ]
        for (script, expected) in cases {
            let check = CommandHealthCheck(job: job("db"), command: ["sh", "-c", script], timeout: .seconds(10))
            #expect(check.result(of: await check.command.run()) == expected, "\(script)")
        }
        let missing = CommandHealthCheck(job: job("db"), command: ["/nonexistent/probe"], timeout: .seconds(10))
        let result = missing.result(of: await missing.command.run())
        #expect(result.status == .critical && result.message.contains("cannot start /nonexistent/probe"))
    }

    @Test func aCommandPastItsTimeoutIsStoppedWithWhatItStarted() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        let command = ShortCommand(
            argv: ["sh", "-c", "sleep 60 & echo $! > \(pidFile.path); wait"], environment: [:], workingDirectory: nil,
            timeout: .milliseconds(300), killGrace: .seconds(1))
        let started = ContinuousClock.now
        let outcome = await command.run()
        #expect(outcome.timedOut)
        #expect(ContinuousClock.now - started < .seconds(10))
        let child = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The background sleep was in the command's process group, so it is gone too (or a zombie waiting
        // for init to reap it).
        _ = try await poll("the background sleep to die", deadline: .seconds(10), every: .milliseconds(20)) { () -> Bool? in
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?
                .split(separator: ")").last?.split(separator: " ").first
            return state == nil || state == "Z" ? true : nil
        }
        let check = CommandHealthCheck(job: job("db"), command: command.argv, timeout: .milliseconds(300))
        #expect(check.result(of: outcome) == .critical("sh did not answer within 300ms"))
    }
}
