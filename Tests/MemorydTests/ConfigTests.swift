import Foundation
import JobkitDaemon
import Testing

@testable import MemorydCore

struct ConfigTests {
    static let environment = ["HOME": "/home/op", "XDG_RUNTIME_DIR": "/run/user/1000"]

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    func errors(_ text: String) -> [String] {
        do {
            _ = try MemorydConfig.parse(text, file: "c.toml", environment: Self.environment)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func theExamplePipelineIsValidAndReadAsWritten() throws {
        let path = Self.repositoryRoot.appendingPathComponent("examples/pipeline.toml").path
        let config = try MemorydConfig.load(path: path, environment: Self.environment)
        #expect(config.jobs.map(\.name) == ["extract", "consolidate", "digest", "knowledge", "decay", "health"])
        #expect(config.pools.map(\.name) == ["llm"] && config.pools.map(\.slots) == [1])
        // The example keeps the socket and state directory every client command looks at.
        #expect(config.daemon.socket == DaemonSettings.defaultSocketPath(environment: Self.environment))
        #expect(config.daemon.stateDirectory == DaemonSettings.defaultStateDirectory(environment: Self.environment))
        #expect(config.daemon.shutdownGrace == .seconds(30))
        let extract = try #require(config.job("extract"))
        #expect(extract.pools == ["llm": 1])
        #expect(extract.retries == 3)
        #expect(
            extract.backoff
                == MemorydConfig.Backoff(initial: .seconds(300), max: .seconds(1800), factor: 2, jitter: 0.1))
        #expect(config.job("decay")?.schedule == .daily(hour: 3, minute: 0))
        #expect(config.job("decay")?.workingDirectory == "/home/op")
        #expect(config.job("health")?.schedule == .every(.seconds(3600)))
        #expect(config.sources.first?.directory == "/home/op/sessions")
        #expect(config.health.watchdogs.first?.maxAge == .seconds(26 * 3600))
        #expect(config.health.stuckAfter == .seconds(30 * 60))
        #expect(config.job("extract")?.stuckAfter == .seconds(5 * 60))
        #expect(config.job("health")?.healthCheck?.prefix(2) == ["sh", "-c"])
        #expect(config.health.notifyCommand?.first == "sh")

        let dot = config.graphviz()
        #expect(dot.hasPrefix("digraph memoryd {"))
        #expect(dot.contains(#""extract" -> "consolidate";"#))
        #expect(dot.contains(#""source:sessions" -> "extract" [style=dashed];"#))
    }

    @Test(arguments: [
        (
            "[daemon]\nworkres = 4",
            [
                "c.toml:2:1: unknown key 'workres' in [daemon]; did you mean 'workers'? expected one of: http, socket, state_dir, workers, shutdown_grace, status_interval, token, tcp_reads, max_connections, max_connections_per_address, request_timeout, max_streams, stream_stall_timeout, memory_trim_threshold, malloc_arenas, http_threads, queue_cache_bytes, task_output_bytes, task_retention, task_retention_count"
            ]
        ),
        ("[daemon]\nworkers = \"4\"", ["c.toml:2:11: daemon.workers must be an integer, not a string"]),
        // Found by the TOML fuzzer: a duration past Int64 milliseconds trapped instead of being refused.
        (
            "[daemon]\nshutdown_grace = \"99999999999999999999d\"",
            [
                #"c.toml:2:18: daemon.shutdown_grace = "99999999999999999999d" is not a duration; write a whole number and a unit (ms, s, m, h, d, w, y), e.g. "90s" or "1h30m""#
            ]
        ),
        (
            "[daemon]\nshutdown_grace = \"30 seconds\"",
            [
                #"c.toml:2:18: daemon.shutdown_grace = "30 seconds" is not a duration; write a whole number and a unit (ms, s, m, h, d, w, y), e.g. "90s" or "1h30m""#
            ]
        ),
        (
            "[jobs.a]\ncommand = [\"true\"]\npool = \"gpu\"",
            ["c.toml:1:7: jobs.a uses pool 'gpu', which no [pools.gpu] defines"]
        ),
        (
            "[jobs.a]\ncommand = [\"true\"]\ndepends_on = [\"b\"]",
            ["c.toml:1:7: jobs.a depends on 'b', which is not a job"]
        ),
        (
            "[jobs.a]\ncommand = [\"true\"]\ndepends_on = [\"b\"]\n[jobs.b]\ncommand = [\"true\"]\ndepends_on = [\"a\"]",
            ["c.toml:1:7: dependency cycle: 'a' → 'b' → 'a'"]
        ),
        ("[jobs.a]\ncommand = []", ["c.toml:2:11: jobs.a.command must not be empty"]),
        ("[jobs.a]\ntimeout = \"1m\"", ["c.toml:1:7: jobs.a needs command = [\"program\", \"arg\", …]"]),
        (
            "[jobs.a]\ncommand = [\"true\"]\nschedule = \"hourly\"",
            [
                #"c.toml:3:13: jobs.a.schedule = "hourly": not a schedule; write "every 60s", "daily 03:00", a cron expression such as "*/15 9-17 * * MON-FRI", or "@daily""#
            ]
        ),
        ("[pools.llm]\nslots = 0", ["c.toml:2:9: pools.llm.slots must be at least 1, not 0"]),
        (
            "[sources.s]\ndir = \"$NOPE/x\"\nglob = \"*\"\njob = \"a\"",
            [
                "c.toml:1:10: sources.s needs dir, glob and job",
                "c.toml:2:7: sources.s.dir uses $NOPE, which is not set",
            ]
        ),
        (
            "[daemon]\nworkers = 0\nhttp = 1",
            [
                "c.toml:2:11: daemon.workers must be at least 1, not 0",
                "c.toml:3:8: daemon.http must be a string, not an integer",
            ]
        ),
        (
            "[jobs.a]\ncommand = [\"true\"]\n[[health.watchdogs]]\nname = \"scheduler\"\njob = \"a\"\nmax_age = \"1h\"\n[[health.watchdogs]]\nname = \"w\"\njob = \"a\"\nmax_age = \"1h\"\n[[health.watchdogs]]\nname = \"w\"\njob = \"a\"\nmax_age = \"2h\"",
            [
                "c.toml:4:8: watchdog name 'scheduler' is the daemon's own; choose another",
                "c.toml:12:8: watchdog name 'w' is already used by another [[health.watchdogs]]; choose another",
            ]
        ),
        (
            "[jobs.a]\ncommand = [\"true\"]\nstuck_after = \"0s\"\n[health]\nnotify_command = []\ncheck_interval = \"often\"",
            [
                #"c.toml:3:15: jobs.a.stuck_after = "0s" is not a duration; write a whole number and a unit (ms, s, m, h, d, w, y), e.g. "90s" or "1h30m""#,
                "c.toml:5:18: health.notify_command must not be empty",
                #"c.toml:6:18: health.check_interval = "often" is not a duration; write a whole number and a unit (ms, s, m, h, d, w, y), e.g. "90s" or "1h30m""#,
            ]
        ),
        (
            "[jobz.a]\ncommand = [\"true\"]",
            [
                "c.toml:1:2: unknown key 'jobz' at the top level; did you mean 'jobs'? expected one of: daemon, event_log, pools, jobs, sources, health"
            ]
        ),
    ])
    func mistakesAreNamedWithFileLineAndColumn(text: String, expected: [String]) {
        #expect(errors(text) == expected)
    }

    @Test func durationsAndSchedulesParseAsDocumented() throws {
        #expect(try MemorydConfig.parseSchedule("every 90s").get() == .every(.seconds(90)))
        #expect(try MemorydConfig.parseSchedule("daily 23:59").get() == .daily(hour: 23, minute: 59))
        #expect(try MemorydConfig.parseSchedule("0 3 * * *").get() == .cron(try CronExpression("0 3 * * *")))
        #expect((try? MemorydConfig.parseSchedule("daily 24:00").get()) == nil)
        #expect((try? MemorydConfig.parseSchedule("every").get()) == nil)
        #expect(MemorydConfig.compact(.seconds(5400)) == "90m")
        #expect(MemorydConfig.compact(.milliseconds(250)) == "250ms")
    }

    @Test func theMemorySettingsAreReadWithTheirDefaultsAndLimits() throws {
        let defaults = try MemorydConfig.parse("", file: "c.toml", environment: Self.environment).daemon
        #expect(defaults.memoryTrimThreshold == 8 << 20 && defaults.mallocArenas == 1)
        let set = try MemorydConfig.parse(
            "[daemon]\nmemory_trim_threshold = 0\nmalloc_arenas = 4", file: "c.toml", environment: Self.environment
        ).daemon
        #expect(set.memoryTrimThreshold == 0 && set.mallocArenas == 4)
        #expect(errors("[daemon]\nmalloc_arenas = 0").first?.contains("malloc_arenas") == true)
        #expect(errors("[daemon]\nmemory_trim_threshold = -1").first?.contains("memory_trim_threshold") == true)
    }

    @Test func theHTTPThreadsAreReadWithTheirDefaultAndLimit() throws {
        let defaults = try MemorydConfig.parse("", file: "c.toml", environment: Self.environment).daemon
        #expect(defaults.httpServer.threads == 2)
        let set = try MemorydConfig.parse("[daemon]\nhttp_threads = 3", file: "c.toml", environment: Self.environment)
        #expect(set.daemon.httpServer.threads == 3)
        #expect(errors("[daemon]\nhttp_threads = 0").first?.contains("http_threads") == true)
    }

    @Test func theQueueCacheAndTheOutputBoundAreReadWithTheirDefaultsAndLimits() throws {
        let defaults = try MemorydConfig.parse("", file: "c.toml", environment: Self.environment).daemon
        #expect(defaults.queueCacheBytes == 512 << 10)
        let set = try MemorydConfig.parse(
            "[daemon]\nqueue_cache_bytes = 1048576", file: "c.toml", environment: Self.environment)
        #expect(set.daemon.queueCacheBytes == 1 << 20)
        #expect(errors("[daemon]\nqueue_cache_bytes = 1024").first?.contains("queue_cache_bytes") == true)
        #expect(defaults.taskOutputBytes == 256 << 10)
        let output = try MemorydConfig.parse(
            "[daemon]\ntask_output_bytes = 4096", file: "c.toml", environment: Self.environment)
        #expect(output.daemon.taskOutputBytes == 4096)
        #expect(errors("[daemon]\ntask_output_bytes = -1").first?.contains("task_output_bytes") == true)
    }

    @Test func healthTargetAndExternalLabelsAreRead() throws {
        let config = try MemorydConfig.parse(
            """
            [health]
            job = "batch"
            instance = "db1:9477"
            external_labels = { region = "eu", cluster = "main" }
            external_url = "http://db1:9477/memoryd"
            """, file: "c.toml", environment: Self.environment)
        #expect(config.health.job == "batch" && config.health.instance == "db1:9477")
        #expect(config.health.externalLabels == ["region": "eu", "cluster": "main"])
        #expect(config.health.externalURL == "http://db1:9477/memoryd")
        #expect(
            errors("[health]\nexternal_labels = { \"not-a-label\" = \"x\", ok = 1 }")
                == [
                    "c.toml:2:37: health.external_labels.not-a-label: a label name is letters, digits and _, not starting with a digit",
                    "c.toml:2:47: health.external_labels.ok must be a string, not an integer",
                ])
    }
}
