import Foundation
import Testing

/// Missed scheduled runs with the real binary: the daemon is "down" over a daily run (its last fire
/// moved two days back in the queue, as a two-day downtime leaves it), makes it up once at start, and a
/// quick restart after that makes up nothing.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CatchUpEndToEndTests {
    /// Moves every recorded fire time of `directory`'s queue `seconds` into the past, with Python's
    /// sqlite3 (the daemon is stopped).
    static func backdateFires(in stateDirectory: String, by seconds: Int) async throws {
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("UPDATE schedule_fires SET fired_at = fired_at - ?", (int(sys.argv[2]),))
            db.commit()
            print(db.execute("SELECT count(*) FROM schedule_fires").fetchone()[0])
            """
        let result = try await runTool("python3", ["-c", script, stateDirectory + "/queue.sqlite3", "\(seconds)"])
        #expect(result.status == 0 && result.output.hasPrefix("1"), "\(result.output)")
    }

    @Test func aDailyRunMissedWhileDownRunsOnceAtStart() async throws {
        let directory = try makeTemporaryDirectory("catch-up-e2e")
        defer { try? FileManager.default.removeItem(at: directory) }
        let marker = directory.appendingPathComponent("ran").path
        let config = try writeConfig(
            """
            [jobs.report]
            command = ["sh", "-c", "echo run >> \(marker)"]
            schedule = "daily 03:00"
            timezone = "UTC"
            """, in: directory)
        let first = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await first.waitForPort()
        let schedules = try await curl("GET", "/v1/schedules", at: .socket(first.socketPath)).json
        #expect(((schedules["schedules"] as? [[String: Any]])?.first?["lastFire"] as? String) != nil, "the first start begins the schedule")
        #expect(try await first.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: marker))

        try await Self.backdateFires(in: first.stateDirectory, by: 2 * 86_400)
        let second = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await second.waitForPort()
        _ = try await poll("the missed run to be made up", deadline: .seconds(30), context: { second.errorOutput }) {
            ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "") == "run\n" ? true : nil
        }
        #expect(second.errorOutput.contains("report: making up the run due at"), "\(second.errorOutput)")
        #expect(try await second.terminate() == 0)

        let third = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await third.waitForPort()
        // Its schedule is back to sleeping until the next 03:00: nothing is made up again.
        _ = try await curl("GET", "/v1/schedules", at: .socket(third.socketPath))
        #expect(try await third.terminate() == 0)
        #expect(!third.errorOutput.contains("making up"), "\(third.errorOutput)")
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "run\n")
    }
}
