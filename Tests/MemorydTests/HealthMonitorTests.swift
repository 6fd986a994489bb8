import Foundation
import Jobkit
import JobkitDaemon
import JobkitHealth
import JobkitMetrics
import JobkitTesting
import Testing

@testable import MemorydCore

/// The daemon's health bookkeeping on a manual clock: which watchdogs gate liveness (and systemd's
/// WATCHDOG=1), how task events keep a task's watchdog alive, and where freshness starts.
struct HealthMonitorTests {
    let manual = ManualClock()
    let start = Date(timeIntervalSince1970: 2_000_000)

    func monitor(lastSuccess: @escaping @Sendable (String) -> Date? = { _ in nil }) throws -> HealthMonitor {
        let clock = JobClock(manual, wallClockOrigin: start)
        return try HealthMonitor(
            registry: MetricsRegistry(), events: try EventStream(), clock: clock,
            loopTimeout: .seconds(10), lastSuccess: lastSuccess)
    }

    func event(_ kind: EventKind, _ id: UInt64, job: String) -> JobEvent {
        JobEvent(kind: kind, task: TaskRef(id: TaskID(rawValue: id), name: job, jobType: job, correlationID: "run-1"))
    }

    @Test func onlyTheDaemonsOwnLoopsGateLiveness() throws {
        let health = try monitor()
        var config = try MemorydConfig.parse(
            "[jobs.decay]\ncommand = [\"true\"]\n[[health.watchdogs]]\nname = \"nightly\"\njob = \"decay\"\nmax_age = \"5s\"",
            file: "c.toml")
        health.applyWatchdogs(config)
        health.observe(event(.started, 1, job: "decay"))
        manual.advance(by: .seconds(8))
        // The freshness watchdog and the task are overdue (5 s; the default stuck_after is 15m, so not yet).
        #expect(health.watchdogs.overdue().map(\.watchdog.name) == ["nightly"])
        #expect(health.loopsAnswer)
        #expect(health.liveness().status == 200)

        manual.advance(by: .seconds(3))
        #expect(!health.loopsAnswer)
        let answer = health.liveness()
        #expect(answer.status == 503)
        guard case .bytes(let body) = answer.body else { throw CancellationError() }
        #expect(String(decoding: body, as: UTF8.self).contains(#""name":"scheduler","status":"critical""#))
        for loop in HealthMonitor.livenessWatchdogs { health.watchdogs.pet(loop) }
        #expect(health.loopsAnswer && health.liveness().status == 200)

        // A reload with a longer max_age keeps the last success: 11 s ago, now allowed 20 s.
        config.health.watchdogs[0].maxAge = .seconds(20)
        health.applyWatchdogs(config)
        #expect(health.watchdogs.overdue().isEmpty)
        manual.advance(by: .seconds(10))
        #expect(health.watchdogs.overdue().map(\.watchdog.name) == ["nightly"])
        health.observe(event(.succeeded, 1, job: "decay"))
        #expect(!health.watchdogs.overdue().map(\.watchdog.name).contains("nightly"))
    }

    @Test func aTaskStaysAliveWhileItReportsAndIsForgottenWhenItEnds() throws {
        let health = try monitor()
        let config = try MemorydConfig.parse(
            "[jobs.a]\ncommand = [\"true\"]\nstuck_after = \"3s\"\n[jobs.b]\ncommand = [\"true\"]\n[health]\nstuck_after = \"6s\"",
            file: "c.toml")
        health.applyWatchdogs(config)
        health.observe(event(.started, 1, job: "a"))
        health.observe(event(.started, 2, job: "b"))
        for _ in 0..<4 {
            manual.advance(by: .seconds(2))
            health.observe(event(.log, 1, job: "a"))
        }
        // a logged every 2 s (under its 3 s); b said nothing for 8 s (over the 6 s of [health]).
        #expect(health.taskWatchdogs.alertSamples().map(\.labels) == [["watchdog": "task t2", "task": "t2", "job_type": "b", "severity": "warning"]])
        health.observe(event(.progress, 2, job: "b"))
        #expect(health.taskWatchdogs.alertSamples().isEmpty)
        health.observe(event(.succeeded, 1, job: "a"))
        #expect(health.taskWatchdogs.all.map(\.name) == ["task t2"])
        // Events were lost (lagged) and b finished unseen: reconciling with what runs drops it.
        health.reconcile(running: [])
        #expect(health.taskWatchdogs.all.isEmpty)
    }

    @Test func freshnessCountsFromTheLastSuccessInTheQueue() throws {
        let lastSuccess = start.addingTimeInterval(-100)
        let health = try monitor { job in job == "decay" ? lastSuccess : nil }
        let config = try MemorydConfig.parse(
            """
            [jobs.decay]
            command = ["true"]
            [jobs.digest]
            command = ["true"]
            [[health.watchdogs]]
            name = "nightly"
            job = "decay"
            max_age = "2m"
            [[health.watchdogs]]
            name = "digest-fresh"
            job = "digest"
            max_age = "2m"
            """, file: "c.toml")
        health.applyWatchdogs(config)
        let watchdogs = Dictionary(uniqueKeysWithValues: health.watchdogs.all.map { ($0.name, $0) })
        #expect(health.watchdogs.lastPetTime(of: try #require(watchdogs["nightly"])) == lastSuccess)
        // digest never succeeded: it counts from now.
        #expect(health.watchdogs.lastPetTime(of: try #require(watchdogs["digest-fresh"])) == start)
        manual.advance(by: .seconds(21))
        #expect(health.watchdogs.overdue().map(\.watchdog.name).filter { !HealthMonitor.livenessWatchdogs.contains($0) } == ["nightly"])
    }
}

extension HealthMonitorTests {
    /// The threads of this process named `name` (Linux: /proc/self/task/*/comm).
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.count { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) == name
        }
    }

    /// Each reload replaces the Alertmanager notifier; the replaced ones' threads end (a reload used to
    /// leave one running per reload).
    @Test func reloadsDoNotLeaveNotifierThreadsBehind() async throws {
        let health = try monitor()
        let config = try MemorydConfig.parse("[health]\nalertmanager = \"http://127.0.0.1:9\"\n", file: "c.toml")
        let before = Self.threads(named: "alertmanager")
        try health.apply(config)
        // The count is seen to move at all: one notifier, one thread.
        _ = try await poll("the notifier's thread", deadline: .seconds(30)) { () -> Bool? in
            Self.threads(named: "alertmanager") == before + 1 ? true : nil
        }
        for _ in 1..<20 { try health.apply(config) }
        let settled = try await poll("replaced notifier threads to end", deadline: .seconds(30)) { () -> Int? in
            let count = Self.threads(named: "alertmanager") - before
            return count <= 1 ? count : nil
        }
        #expect(settled <= 1)
        health.stop()
        _ = try await poll("the last notifier thread to end", deadline: .seconds(30)) { () -> Bool? in
            Self.threads(named: "alertmanager") == before ? true : nil
        }
    }
}

extension HealthMonitorTests {
    /// A config's rule files are read once, when the config is: what `check-config` or a reload checked
    /// is what runs, even if a file changes (or goes) before it is applied.
    @Test func theRulesThatRunAreTheOnesReadWithTheConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = directory.appendingPathComponent("rules.yml")
        try "groups: [{name: g, rules: [{alert: A, expr: vector(1)}]}]\n".write(to: rules, atomically: true, encoding: .utf8)
        let config = try MemorydConfig.parse(
            "[health]\nrule_files = [\"\(rules.path)\"]\n", file: directory.appendingPathComponent("c.toml").path)
        try FileManager.default.removeItem(at: rules)
        let health = try monitor()
        try health.apply(config)
        defer { health.stop() }
        #expect(health.ruleGroups.map(\.name) == ["g"])
    }
}

extension HealthMonitorTests {
    /// The default `instance` is the address Prometheus would scrape: the bound TCP address, with a
    /// wildcard host replaced by the machine's name.
    @Test func theDefaultInstanceIsTheBoundAddress() throws {
        let health = try monitor()
        defer { health.stop() }
        health.listening(on: ["/run/user/0/memoryd.sock", "127.0.0.1:40111"])
        try health.apply(nil)
        #expect(health.targetLabels == ["job": "memoryd", "instance": "127.0.0.1:40111"])
        // gethostname(2) on Linux is the kernel's host name.
        let host = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(HealthMonitor.reachableAddress("0.0.0.0:9477") == host + ":9477")
        #expect(HealthMonitor.reachableAddress("[::]:9477") == host + ":9477")
        #expect(HealthMonitor.reachableAddress("[::1]:9477") == "[::1]:9477")
    }
}
