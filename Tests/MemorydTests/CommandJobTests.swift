import Foundation
import Jobkit
import JobkitTesting
import MemorydCore
import Testing

/// Command jobs run real programs (`sh`) on a real scheduler with the real clock.
@Suite(.timeLimit(.minutes(1)))
struct CommandJobTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Whether a process with `pid` still exists (zombies of other parents count as gone).
    func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }

    @Test func outputLinesBecomeLogEventsProgressIsReportedAndTheEnvironmentIsSet() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let events = scheduler.events.subscribe(consumer: "test", bufferSize: 100)
        let job = CommandJob(
            argv: [
                "sh", "-c",
                #"echo "file=$MEMORYD_PARAM_FILE task=$MEMORYD_TASK_ID attempt=$MEMORYD_ATTEMPT cwd=$(pwd) extra=$EXTRA"; echo '::progress 0.5 half way'; echo oops >&2"#,
            ], environment: ["EXTRA": "yes"], workingDirectory: directory, parameters: ["file": "a.jsonl"])
        let result = try await withRunningScheduler(scheduler) { scheduler in
            let handle = try scheduler.spawnBlocking("extract", options: TaskOptions(jobType: "extract")) {
                try job.run($0)
            }
            return await handle.result()
        }
        #expect(result.outcome == .succeeded)
        var logs: [JobEvent] = []
        var progress: [JobEvent] = []
        for await element in events {
            guard case .event(let event) = element else { continue }
            if event.kind == .log { logs.append(event) }
            if event.kind == .progress { progress.append(event) }
            if event.kind == .succeeded { break }
        }
        #expect(logs.first?.message == "file=a.jsonl task=t1 attempt=1 cwd=\(directory) extra=yes")
        #expect(logs.first?.level == .info)
        #expect(logs.first?.metadata?["stream"] == .string("stdout"))
        #expect(logs.last?.message == "oops")
        #expect(logs.last?.level == .warning)
        #expect(progress.first?.progress == 0.5)
        #expect(progress.first?.message == "half way")
    }

    @Test func aNonZeroExitFailsTheAttemptAndRetriesApply() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let job = CommandJob(argv: ["sh", "-c", "exit 3"])
        let result = try await withRunningScheduler(scheduler) { scheduler in
            let options = TaskOptions(retry: .retries(1, backoff: .constant(.milliseconds(10))))
            return await (try scheduler.spawnBlocking("fails", options: options) { try job.run($0) }).result()
        }
        #expect(result.outcome == .retriesExhausted)
        #expect(result.attempts == 2)
        #expect(result.error == "sh exited with status 3")
    }

    @Test func aProgramThatCannotStartFailsAtOnceWithTheReason() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let job = CommandJob(argv: ["/nonexistent/program"])
        let result = try await withRunningScheduler(scheduler) { scheduler in
            let options = TaskOptions(retry: .retries(3, backoff: .constant(.milliseconds(10))))
            return await (try scheduler.spawnBlocking("missing", options: options) { try job.run($0) }).result()
        }
        #expect(result.outcome == .failed)
        #expect(result.attempts == 1)
        #expect(result.error?.contains("cannot start /nonexistent/program: No such file or directory") == true)
    }

    /// The group gets SIGTERM; a program that ignores it gets SIGKILL after the grace. Either way nothing
    /// the job started is left running.
    @Test(arguments: [false, true])
    func cancellingKillsTheWholeProcessGroup(ignoresTerm: Bool) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = directory + "/pids"
        let trap = ignoresTerm ? "trap '' TERM; " : ""
        let job = CommandJob(
            argv: ["sh", "-c", "\(trap)sleep 600 & echo $$ $! > \(pidFile); wait"], killGrace: .milliseconds(300))
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let (result, pids) = try await withRunningScheduler(scheduler) { scheduler in
            let handle = try scheduler.spawnBlocking("sleeper") { try job.run($0) }
            let pids = try await poll("the job to start its processes", deadline: .seconds(20)) { () -> [pid_t]? in
                let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
                let pids = text.split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
                return pids.count == 2 ? pids : nil
            }
            try scheduler.cancel(handle.id)
            return (await handle.result(), pids)
        }
        #expect(result.outcome == .cancelled)
        _ = try await poll("the job's processes to be gone", deadline: .seconds(10)) {
            pids.allSatisfy { !alive($0) } ? true : nil
        }
    }

    @Test func aTimeoutEndsTheProgramAndTheTaskTimesOut() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let job = CommandJob(argv: ["sleep", "600"], killGrace: .milliseconds(300))
        let result = try await withRunningScheduler(scheduler) { scheduler in
            let options = TaskOptions(timeout: .milliseconds(300))
            return await (try scheduler.spawnBlocking("slow", options: options) { try job.run($0) }).result()
        }
        #expect(result.outcome == .timedOut)
    }

    @Test func aJobInheritsNoDescriptorOfTheDaemonBeyondTheStandardThree() async throws {
        // A descriptor the daemon holds open without close-on-exec, as libraries sometimes leave them.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let events = scheduler.events.subscribe(consumer: "test", bufferSize: 100)
        // The shell reports whether the daemon's descriptor exists in it (a plain test, no pipes or globs,
        // which would open descriptors of their own).
        let job = CommandJob(argv: [
            "sh", "-c", "if [ -e /proc/$$/fd/\(leaked) ]; then echo open; else echo closed; fi",
        ])
        let result = try await withRunningScheduler(scheduler) { scheduler in
            await (try scheduler.spawnBlocking("fds") { try job.run($0) }).result()
        }
        #expect(result.outcome == .succeeded)
        var listed: [String] = []
        for await element in events {
            guard case .event(let event) = element else { continue }
            if event.kind == .log, let message = event.message { listed.append(message) }
            if event.kind == .succeeded { break }
        }
        #expect(leaked > 2)
        #expect(listed == ["closed"], "descriptor \(leaked) in the job: \(listed)")
    }
}
