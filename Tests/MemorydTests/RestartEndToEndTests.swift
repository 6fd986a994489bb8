import Foundation
import Testing

/// What a graceful restart keeps: every unfinished task resumes with its attempts and its retry time,
/// none runs twice at once, and a stop with nothing running is immediate and raises no alert.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct RestartEndToEndTests {
    /// A job's command: it marks itself running with a file that only one process can create (a second
    /// copy running at once logs TWICE), logs START and END with its attempt, and leaves the marker when
    /// SIGTERM interrupts it. `fail` makes the first attempt fail.
    static func command(_ job: String, log: String, seconds: Double, failFirst: Bool = false) -> String {
        let marker = "\(log).running-$MEMORYD_RUN_ID-\(job)"
        let failure =
            failFirst
            ? #"if [ "$MEMORYD_ATTEMPT" = 1 ]; then rm -f "$m"; echo "FAIL $MEMORYD_RUN_ID \#(job) 1" >> \#(log); exit 1; fi; "#
            : ""
        let script =
            #"m="\#(marker)"; set -C; if ! : > "$m" 2>/dev/null; then echo "TWICE $MEMORYD_RUN_ID \#(job)" >> \#(log); fi; set +C; "#
            + #"trap 'rm -f "$m"; exit 143' TERM; echo "START $MEMORYD_RUN_ID \#(job) $MEMORYD_ATTEMPT" >> \#(log); "#
            + failure
            + #"sleep \#(seconds) & wait $!; rm -f "$m"; echo "END $MEMORYD_RUN_ID \#(job) $MEMORYD_ATTEMPT" >> \#(log)"#
        return
            #"["sh", "-c", "\#(script.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"]"#
    }

    /// A line of the jobs' log: kind, run, job, attempt.
    struct Line: Hashable {
        let kind: String
        let run: String
        let job: String
        let attempt: Int
    }

    static func lines(_ log: String) -> [Line] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { text in
            let fields = text.split(separator: " ").map(String.init)
            guard fields.count >= 3 else { return nil }
            return Line(
                kind: fields[0], run: fields[1], job: fields[2], attempt: fields.count > 3 ? Int(fields[3]) ?? 0 : 0)
        }
    }

    @Test func fortyMixedTasksAllFinishAfterARestartOnceEachWithTheirAttempts() async throws {
        let directory = try makeTemporaryDirectory("restart")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("jobs.log").path
        let config = try writeConfig(
            """
            [daemon]
            workers = 4
            shutdown_grace = "1s"

            [jobs.quick]
            command = \(Self.command("quick", log: log, seconds: 0.2))

            [jobs.slow]
            command = \(Self.command("slow", log: log, seconds: 3))

            [jobs.flaky]
            command = \(Self.command("flaky", log: log, seconds: 0.1, failFirst: true))
            retries = 2
            backoff = { initial = "1s", max = "1s", factor = 1.0, jitter = 0.0 }

            [jobs.first]
            command = \(Self.command("first", log: log, seconds: 0.3))

            [jobs.second]
            command = \(Self.command("second", log: log, seconds: 0.1))
            depends_on = ["first"]
            """, in: directory)

        let first = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await first.waitForPort()
        var runs: [String: String] = [:]  // run id → the job submitted
        for job in ["quick", "slow", "flaky", "first"] {
            for _ in 0..<10 {
                let answer = try await curl(
                    "POST", "/v1/tasks", at: .socket(first.socketPath), body: #"{"job": "\#(job)"}"#)
                #expect(answer.status == 201, "\(answer.body)")
                runs[try #require(answer.json["run"] as? String)] = job
            }
        }
        _ = try await poll("slow tasks to run", deadline: .seconds(60)) {
            Self.lines(log).contains { $0.kind == "START" && $0.job == "slow" } ? true : nil
        }
        #expect(try await first.terminate() == 0)
        #expect(first.errorOutput.contains("memoryd: stopping: waiting up to 1s for"), "\(first.errorOutput)")
        #expect(first.errorOutput.contains("unfinished tasks stay queued for the next start"), "\(first.errorOutput)")

        let second = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await second.waitForPort()
        #expect(second.errorOutput.contains("unfinished tasks from the queue"), "\(second.errorOutput)")
        // Every task of every run ends, the dependants included: 50 tasks in 40 runs.
        let expected = runs.flatMap { run, job in (job == "first" ? ["first", "second"] : [job]).map { "\(run) \($0)" }
        }
        let ended = try await poll("all 50 tasks to end", deadline: .seconds(120), context: { second.diagnosis }) {
            () -> Set<String>? in
            let ended = Set(Self.lines(log).filter { $0.kind == "END" }.map { "\($0.run) \($0.job)" })
            return ended.count >= expected.count ? ended : nil
        }
        #expect(ended == Set(expected))
        let all = Self.lines(log)
        #expect(!all.contains { $0.kind == "TWICE" }, "a task ran twice at once: \(all.filter { $0.kind == "TWICE" })")
        // Each task ended once, and its attempts count up by one from 1, across the restart.
        for key in expected {
            let mine = all.filter { "\($0.run) \($0.job)" == key }
            let starts = mine.filter { $0.kind == "START" }.map(\.attempt)
            #expect(starts == Array(1...max(starts.count, 1)), "\(key): attempts \(starts)")
            #expect(mine.filter { $0.kind == "END" }.count == 1, "\(key) ended more than once")
            #expect(mine.first { $0.kind == "END" }?.attempt == starts.last, "\(key)")
        }
        // The API's attempt is the one the command saw in MEMORYD_ATTEMPT.
        let tasks =
            (try await curl("GET", "/v1/tasks", at: .socket(second.socketPath)).json["tasks"] as? [[String: Any]]) ?? []
        let endings = Dictionary(
            all.filter { $0.kind == "END" }.map { ("\($0.run) \($0.job)", $0.attempt) }, uniquingKeysWith: { $1 })
        var compared = 0
        for task in tasks {
            guard let run = task["run"] as? String, let job = task["job"] as? String,
                let ending = endings["\(run) \(job)"], task["state"] as? String == "succeeded"
            else { continue }
            #expect(task["attempt"] as? Int == ending, "\(run) \(job)")
            compared += 1
        }
        #expect(compared > 0)

        // Nothing runs now: a stop is immediate.
        let started = ContinuousClock.now
        #expect(try await second.terminate() == 0)
        #expect(
            ContinuousClock.now - started < .seconds(1), "stopping an idle daemon took \(ContinuousClock.now - started)"
        )
    }

    @Test func aStopWithOnlyAWaitingRetryIsImmediateRaisesNoAlertAndKeepsTheRetryTime() async throws {
        let directory = try makeTemporaryDirectory("retry")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig(
            """
            [jobs.later]
            command = ["false"]
            retries = 3
            backoff = { initial = "10m", max = "10m", factor = 1.0, jitter = 0.0 }

            [jobs.after]
            command = ["true"]
            depends_on = ["later"]
            """, in: directory)
        let first = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await first.waitForPort()
        let id = try #require(
            try await curl("POST", "/v1/tasks", at: .socket(first.socketPath), body: #"{"job": "later"}"#).json["id"]
                as? String)
        let waiting = try await poll("the task to wait for its retry", deadline: .seconds(30)) { () -> [String: Any]? in
            let task = try await curl("GET", "/v1/tasks/\(id)", at: .socket(first.socketPath)).json
            return task["state"] as? String == "retry_wait" ? task : nil
        }
        let retryAt = try #require(waiting["retryAt"] as? String)

        let started = ContinuousClock.now
        #expect(try await first.terminate() == 0)
        #expect(ContinuousClock.now - started < .seconds(1), "stopping took \(ContinuousClock.now - started)")
        #expect(first.errorOutput.contains("memoryd: stopping: no task is running"), "\(first.errorOutput)")
        let events = try String(contentsOfFile: first.stateDirectory + "/events.jsonl", encoding: .utf8)
        #expect(!events.contains(#""kind":"alert_firing""#) && !events.contains(#""kind":"alert_pending""#))
        #expect(!events.contains(#""kind":"cancelled""#), "the stop cancelled a task")

        let second = try DaemonProcess(directory: directory, arguments: ["--config", config.path])
        _ = try await second.waitForPort()
        #expect(second.errorOutput.contains("resumed 2 unfinished tasks"), "\(second.errorOutput)")
        let tasks =
            (try await curl("GET", "/v1/tasks", at: .socket(second.socketPath)).json["tasks"] as? [[String: Any]]) ?? []
        let later = try #require(tasks.first { $0["job"] as? String == "later" })
        #expect(later["state"] as? String == "retry_wait")
        #expect(later["attempt"] as? Int == 1)
        // The same retry time (the API prints whole seconds; the resumed one may be a millisecond earlier).
        let format = Date.ISO8601FormatStyle()
        let before = try format.parse(retryAt)
        let after = try format.parse(try #require(later["retryAt"] as? String))
        #expect(abs(after.timeIntervalSince(before)) <= 1, "retry at \(retryAt) became \(after)")
        #expect(tasks.first { $0["job"] as? String == "after" }?["state"] as? String == "blocked")
        #expect(try await second.terminate() == 0)
    }
}
