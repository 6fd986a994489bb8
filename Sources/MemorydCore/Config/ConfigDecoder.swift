public import FoundationEssentials
import Jobkit
import JobkitDaemon
public import JobkitHealth
import JobkitSupport

extension MemorydConfig {
    /// Reads and validates the config file at `path`.
    ///
    /// - Throws: ``ConfigErrors`` listing every problem with its `file:line:column`: syntax, unknown keys,
    ///   wrong types, bad durations and schedules, unknown pools or jobs, dependency cycles.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigErrors) -> MemorydConfig
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors(errors: [
                ConfigError(
                    SourceLocation(file: path, line: 1, column: 1),
                    "cannot read the file: \(Paths.unreadableReason(path))")
            ])
        }
        // Not UTF-8 is refused with its place, not decoded with replacement characters.
        if let error = TOMLParser.utf8Error(in: Array(data), file: path) { throw ConfigErrors(errors: [error]) }
        return try parse(String(decoding: data, as: UTF8.self), file: path, environment: environment)
    }

    /// Parses and validates config `text`, naming it `file` in errors.
    public static func parse(
        _ text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> MemorydConfig {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text, file: file)
        } catch {
            throw ConfigErrors(errors: [error])
        }
        let errors = ConfigReader.ErrorList()
        var reader = ConfigReader(
            table: root, path: "", location: SourceLocation(file: file, line: 1, column: 1), errors: errors)
        var config = MemorydConfig(file: file)
        config.daemon = DaemonSettings(
            socket: DaemonSettings.defaultSocketPath(environment: environment),
            stateDirectory: DaemonSettings.defaultStateDirectory(environment: environment))
        if var daemon = reader.table("daemon") { Self.daemon(&daemon, into: &config.daemon, environment: environment) }
        if var log = reader.table("event_log") {
            let eventLog = config.daemon.eventLog
            config.daemon.eventLog.maxBytes = log.integer("max_bytes", atLeast: 1) ?? eventLog.maxBytes
            config.daemon.eventLog.keep = log.integer("keep", atLeast: 0) ?? eventLog.keep
            log.rejectUnknownKeys(expected: ["max_bytes", "keep"])
        }
        if var pools = reader.table("pools") {
            for entry in pools.table.entries {
                guard var pool = pools.table(entry.key) else { continue }
                if entry.key.hasPrefix(MemorydConfig.jobPoolPrefix) {
                    errors.add(
                        entry.keyLocation,
                        "pool names starting with '\(MemorydConfig.jobPoolPrefix)' are the jobs' own (max_concurrent); choose another"
                    )
                }
                if let slots = pool.integer("slots", atLeast: 1) {
                    config.pools.append((entry.key, slots))
                } else if pool.table["slots"] == nil {
                    errors.add(pool.location, "pools.\(entry.key) needs slots = N")
                }
                pool.rejectUnknownKeys(expected: ["slots"])
            }
        }
        if var jobs = reader.table("jobs") {
            for entry in jobs.table.entries {
                guard var job = jobs.table(entry.key) else { continue }
                if var parsed = Self.job(entry.key, &job, location: entry.keyLocation, environment: environment) {
                    // A job's own concurrency cap is a pool of its own, which only it uses.
                    if let cap = parsed.maxConcurrent {
                        let name = MemorydConfig.jobPoolPrefix + parsed.name
                        config.pools.append((name, cap))
                        parsed.pools[name] = 1
                    }
                    config.jobs.append(parsed)
                }
            }
        }
        if var sources = reader.table("sources") {
            for entry in sources.table.entries {
                guard var source = sources.table(entry.key) else { continue }
                let directory = source.path("dir", environment: environment)
                let glob = source.string("glob")
                let job = source.string("job")
                source.rejectUnknownKeys(expected: ["dir", "glob", "job"])
                guard let directory, let glob, let job else {
                    errors.add(entry.keyLocation, "sources.\(entry.key) needs dir, glob and job")
                    continue
                }
                config.sources.append(
                    Source(name: entry.key, directory: directory, glob: glob, job: job, location: entry.keyLocation))
            }
        }
        if var health = reader.table("health") { config.health = Self.health(&health, environment: environment) }
        reader.rejectUnknownKeys(expected: ["daemon", "event_log", "pools", "jobs", "sources", "health"])
        config.crossCheck(root: root, errors: errors)
        guard errors.errors.isEmpty else {
            throw ConfigErrors(
                errors: errors.errors.sorted {
                    ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column)
                })
        }
        // Read once: what was checked is what runs, even if a rule file changes before it is applied.
        config.ruleGroups = try config.loadRuleGroups()
        return config
    }

    /// The groups of every file in `health.rule_files`, read now, each expression parsed and type-checked.
    ///
    /// - Throws: ``ConfigErrors`` with each problem at its place in its rule file.
    public func loadRuleGroups() throws(ConfigErrors) -> [RuleGroup] {
        var groups: [RuleGroup] = []
        var problems: [ConfigError] = []
        for file in health.ruleFiles {
            do {
                groups += try RuleFile.load(path: file)
            } catch {
                problems += error.problems.map {
                    ConfigError(
                        SourceLocation(file: $0.file, line: $0.position.line, column: $0.position.column), $0.message)
                }
            }
        }
        guard problems.isEmpty else { throw ConfigErrors(errors: problems) }
        return groups
    }

    private static func job(
        _ name: String, _ reader: inout ConfigReader, location: SourceLocation, environment: [String: String]
    ) -> Job? {
        let command = reader.strings("command", nonEmpty: true)
        var environmentVariables: [String: String] = [:]
        if var env = reader.table("env") {
            for entry in env.table.entries {
                if let value = env.string(entry.key) { environmentVariables[entry.key] = value }
            }
        }
        var job = Job(
            name: name, command: command ?? [], environment: environmentVariables,
            workingDirectory: reader.path("cwd", environment: environment), timeout: reader.duration("timeout"),
            retries: reader.integer("retries", atLeast: 0) ?? 0, backoff: nil, pools: [:], schedule: nil,
            dependsOn: reader.strings("depends_on") ?? [], healthCheck: reader.strings("health_check", nonEmpty: true),
            stuckAfter: reader.duration("stuck_after"), location: location)
        if var backoff = reader.table("backoff") {
            if let initial = backoff.duration("initial") {
                job.backoff = Backoff(
                    initial: initial, max: backoff.duration("max") ?? initial,
                    factor: backoff.number("factor", in: 1...1000) ?? 2,
                    jitter: backoff.number("jitter", in: 0...1) ?? 0)
            } else if backoff.table["initial"] == nil {
                reader.errors.add(backoff.location, "jobs.\(name).backoff needs initial = \"DURATION\"")
            }
            backoff.rejectUnknownKeys(expected: ["initial", "max", "factor", "jitter"])
        }
        let single = reader.string("pool")
        if var pools = reader.table("pools") {
            if single != nil { reader.errors.add(pools.location, "jobs.\(name): use pool or pools, not both") }
            for entry in pools.table.entries {
                if let slots = pools.integer(entry.key, atLeast: 1) { job.pools[entry.key] = slots }
            }
        } else if let single {
            job.pools[single] = 1
        }
        if let text = reader.string("schedule"), let scheduleLocation = reader.table["schedule"]?.location {
            switch parseSchedule(text) {
            case .success(let schedule): job.schedule = schedule
            case .failure(let failure):
                // The column of the mistake inside the string, past its opening quote.
                var location = scheduleLocation
                location.column += failure.column
                reader.errors.add(location, "jobs.\(name).schedule = \"\(text)\": \(failure.message)")
            }
        }
        if let zone = reader.string("timezone"), let zoneLocation = reader.table["timezone"]?.location {
            do {
                _ = try ZoneInfo.load(zone)
                job.timeZone = zone
            } catch {
                reader.errors.add(
                    zoneLocation,
                    "jobs.\(name).timezone: \(error)" + Suggestion.phrase(for: zone, among: ZoneInfo.names()))
            }
        }
        if let catchUp = reader.bool("catch_up") { job.catchUp = catchUp }
        job.maxConcurrent = reader.integer("max_concurrent", atLeast: 1)
        if let triggers = reader.string("paused_triggers") {
            if let value = PausedTriggers(rawValue: triggers) {
                job.pausedTriggers = value
            } else {
                reader.error(
                    "paused_triggers", #"jobs.\#(name).paused_triggers must be "hold" or "drop", not "\#(triggers)""#)
            }
        }
        if let unique = reader.value("unique") {
            switch unique.kind {
            case .string("params"): job.unique = .allParameters
            case .array(let names):
                let texts = names.compactMap { name -> String? in
                    if case .string(let text) = name.kind { return text }
                    return nil
                }
                if texts.count == names.count, !texts.isEmpty {
                    job.unique = .parameters(texts.sorted())
                } else {
                    reader.errors.add(unique.location, "jobs.\(name).unique must list parameter names as strings")
                }
            default:
                reader.errors.add(
                    unique.location,
                    #"jobs.\#(name).unique must be "params" or a list of parameter names such as ["file"]"#)
            }
        }
        job.jitter = reader.duration("jitter")
        reader.rejectUnknownKeys(expected: [
            "command", "env", "cwd", "timeout", "retries", "backoff", "pool", "pools", "schedule", "timezone",
            "catch_up", "jitter", "max_concurrent", "unique", "paused_triggers", "depends_on", "health_check",
            "stuck_after",
        ])
        guard command != nil else {
            if reader.table["command"] == nil {
                reader.errors.add(location, "jobs.\(name) needs command = [\"program\", \"arg\", …]")
            }
            return nil
        }
        return job
    }

    /// Why a schedule was refused: what, and where in the string (1-based).
    struct ScheduleFailure: Error {
        var column: Int
        var message: String
    }

    /// `every DURATION`, `daily HH:MM`, a five-field cron expression or a cron macro (`@daily`).
    static func parseSchedule(_ text: String) -> Result<Schedule, ScheduleFailure> {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let usage = #"write "every 60s", "daily 03:00", a cron expression such as "*/15 9-17 * * MON-FRI", or "@daily""#
        switch parts.first {
        case "every":
            guard parts.count == 2, let interval = ConfigReader.parseDuration(String(parts[1])), interval > .zero else {
                return .failure(ScheduleFailure(column: 7, message: "not an interval; \(usage)"))
            }
            return .success(.every(interval))
        case "daily":
            let time = parts.count == 2 ? parts[1].split(separator: ":") : []
            guard time.count == 2, time[0].count == 2, time[1].count == 2, let hour = Int(time[0]),
                let minute = Int(time[1]), (0..<24).contains(hour), (0..<60).contains(minute)
            else { return .failure(ScheduleFailure(column: 7, message: "not a time of day HH:MM; \(usage)")) }
            return .success(.daily(hour: hour, minute: minute))
        default:
            guard parts.count == 5 || parts.first?.hasPrefix("@") == true else {
                return .failure(ScheduleFailure(column: 1, message: "not a schedule; \(usage)"))
            }
            do {
                let expression = try CronExpression(text)
                guard expression.everFires else {
                    return .failure(ScheduleFailure(column: 1, message: "no date matches this cron expression"))
                }
                return .success(.cron(expression))
            } catch {
                return .failure(ScheduleFailure(column: error.column, message: error.message))
            }
        }
    }

    private static func health(_ reader: inout ConfigReader, environment: [String: String]) -> Health {
        var health = Health()
        // Relative rule files are found next to the config file, as Prometheus finds them.
        health.ruleFiles = (reader.strings("rule_files") ?? []).map { path in
            let expanded = (try? ConfigReader.expand(path, environment: environment).get()) ?? path
            return expanded.hasPrefix("/") ? expanded : Paths.join(Paths.directory(of: reader.location.file), expanded)
        }
        health.evaluationInterval = reader.duration("evaluation_interval")
        health.stuckAfter = reader.duration("stuck_after")
        health.checkInterval = reader.duration("check_interval")
        health.checkTimeout = reader.duration("check_timeout")
        health.notifyCommand = reader.strings("notify_command", nonEmpty: true)
        health.notifyTimeout = reader.duration("notify_timeout")
        health.alertmanager = reader.string("alertmanager")
        if let url = health.alertmanager, !url.hasPrefix("http://") {
            reader.errors.add(
                reader.location, "health.alertmanager must be an http:// URL such as http://127.0.0.1:9093")
        }
        for var watchdog in reader.tables("watchdogs") {
            let name = watchdog.string("name")
            let job = watchdog.string("job")
            let maxAge = watchdog.duration("max_age")
            watchdog.rejectUnknownKeys(expected: ["name", "job", "max_age"])
            guard let name, let job, let maxAge else {
                reader.errors.add(watchdog.location, "each [[health.watchdogs]] needs name, job and max_age")
                continue
            }
            // Errors about a watchdog point at its name.
            let location = watchdog.table["name"]?.location ?? watchdog.location
            health.watchdogs.append(Watchdog(name: name, job: job, maxAge: maxAge, location: location))
        }
        health.job = reader.string("job")
        health.instance = reader.string("instance")
        health.externalURL = reader.string("external_url")
        if var labels = reader.table("external_labels") {
            health.externalLabels = Self.labels(&labels)
        }
        reader.rejectUnknownKeys(expected: [
            "rule_files", "evaluation_interval", "alertmanager", "stuck_after", "check_interval", "check_timeout",
            "notify_command", "notify_timeout", "watchdogs", "job", "instance", "external_labels", "external_url",
        ])
        return health
    }

    /// A table of label names to string values, each name checked as Prometheus checks label names.
    private static func labels(_ reader: inout ConfigReader) -> [String: String] {
        var labels: [String: String] = [:]
        for name in reader.table.entries.map(\.key) {
            guard let value = reader.string(name) else { continue }
            if RuleFile.isValidLabelName(name) {
                labels[name] = value
            } else {
                reader.error(
                    name, "\(reader.path).\(name): a label name is letters, digits and _, not starting with a digit")
            }
        }
        return labels
    }

    /// References between sections: pools and jobs that exist, pools big enough, no dependency cycle.
    private func crossCheck(root: TOMLTable, errors: ConfigReader.ErrorList) {
        let poolSlots = Dictionary(pools.map { ($0.name, $0.slots) }, uniquingKeysWith: { first, _ in first })
        let jobNames = Set(jobs.map(\.name))
        for job in jobs {
            for (pool, slots) in job.pools.sorted(by: { $0.key < $1.key }) {
                if let size = poolSlots[pool] {
                    if slots > size {
                        errors.add(
                            job.location, "jobs.\(job.name) needs \(slots) slots of pool '\(pool)', which has \(size)")
                    }
                } else {
                    errors.add(
                        job.location,
                        "jobs.\(job.name) uses pool '\(pool)', which no [pools.\(pool)] defines"
                            + Suggestion.phrase(for: pool, among: poolSlots.keys.sorted()))
                }
            }
            for dependency in job.dependsOn where !jobNames.contains(dependency) {
                errors.add(
                    job.location,
                    "jobs.\(job.name) depends on '\(dependency)', which is not a job"
                        + Suggestion.phrase(for: dependency, among: jobNames.sorted()))
            }
        }
        for source in sources where !jobNames.contains(source.job) {
            errors.add(
                source.location,
                "sources.\(source.name) starts job '\(source.job)', which is not a job"
                    + Suggestion.phrase(for: source.job, among: jobNames.sorted()))
        }
        for watchdog in health.watchdogs where !jobNames.contains(watchdog.job) {
            errors.add(
                watchdog.location,
                "watchdog '\(watchdog.name)' watches job '\(watchdog.job)', which is not a job"
                    + Suggestion.phrase(for: watchdog.job, among: jobNames.sorted()))
        }
        var watchdogNames = Set(Health.daemonWatchdogs)
        for watchdog in health.watchdogs where !watchdogNames.insert(watchdog.name).inserted {
            let reason =
                Health.daemonWatchdogs.contains(watchdog.name)
                ? "is the daemon's own" : "is already used by another [[health.watchdogs]]"
            errors.add(watchdog.location, "watchdog name '\(watchdog.name)' \(reason); choose another")
        }
        let index = Dictionary(jobs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        let edges = jobs.map { $0.dependsOn.compactMap { index[$0] } }
        if let cycle = CycleFinder.findCycle(edges: edges) {
            let names = (cycle + [cycle[0]]).map { "'\(jobs[$0].name)'" }
            errors.add(jobs[cycle[0]].location, "dependency cycle: \(names.joined(separator: " → "))")
        }
    }
}
