import FoundationEssentials
public import Jobkit
public import JobkitDaemon
import JobkitMetrics
import JobkitSupport

/// How the CLI shows status and events to people (`--json` prints the API's JSON instead).
public enum HumanOutput {
    /// A status snapshot as a few aligned lines.
    public static func status(_ snapshot: StatusSnapshot, offline: Bool = false) -> String {
        var lines: [String] = []
        let busy = snapshot.workers.filter(\.busy).count
        let uptime = DurationText.human(seconds: snapshot.time.timeIntervalSince(snapshot.startedAt))
        let header = "memoryd pid \(snapshot.pid), up \(uptime), \(snapshot.workers.count) workers (\(busy) busy)"
        lines.append(offline ? header + " — as of \(timestamp(snapshot.time)), read from the status file" : header)
        let states = TaskState.allCases.map { "\(snapshot.tasksByState[$0.rawValue] ?? 0) \($0.rawValue)" }
        lines.append("tasks: " + states.joined(separator: " · "))
        for worker in snapshot.workers where worker.busy {
            lines.append("  \(worker.name): \(worker.taskName ?? "?") (task \(worker.task.map { "\($0)" } ?? "?"))")
        }
        if !snapshot.pools.isEmpty {
            let pools = snapshot.pools.map {
                "\($0.name) \($0.inUse)/\($0.slots)" + ($0.waiting > 0 ? " (\($0.waiting) waiting)" : "")
            }
            lines.append("pools: " + pools.joined(separator: ", "))
        }
        if !snapshot.jobs.isEmpty {
            lines.append("jobs over the last minute:")
            var table = [["JOB", "DONE/MIN", "SUCCESS", "P50", "P90", "P99"]]
            for job in snapshot.jobs {
                guard let minute = job.windows.first else { continue }
                let perMinute = minute.finishedPerSecond * 60
                table.append([
                    job.job, DurationText.fixed(perMinute, digits: 1),
                    minute.successRatio.map { DurationText.fixed($0 * 100, digits: 0) + "%" } ?? "-",
                    quantile(minute, "0.5"), quantile(minute, "0.9"), quantile(minute, "0.99"),
                ])
            }
            lines += align(table).map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One event as one line: sequence number, time, kind, job and task, then what it says.
    public static func event(_ event: JobEvent) -> String {
        var fields = ["#\(event.seq)", timestamp(event.time), event.kind.rawValue]
        if let job = event.job { fields.append(job) }
        if let name = event.name, let task = event.task { fields.append("\(name)[\(task)]") }
        if let attempt = event.attempt, attempt > 1 { fields.append("attempt \(attempt)") }
        if let duration = event.duration, event.kind != .started {
            fields.append(DurationText.human(seconds: duration))
        }
        if let level = event.level { fields.append(level.rawValue) }
        if let message = event.message { fields.append(message) }
        if let progress = event.progress { fields.append(DurationText.fixed(progress * 100, digits: 0) + "%") }
        if let error = event.error { fields.append("error: \(error)") }
        return fields.joined(separator: " ")
    }

    private static func quantile(_ window: JobStatsResource.Window, _ key: String) -> String {
        window.durationQuantiles[key].map { DurationText.human(seconds: $0) } ?? "-"
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    /// Rows as lines with columns padded to a common width, two spaces apart.
    /// `2026-12-03 03:00` in `zone`, for seconds since the epoch.
    package static func localTime(_ epochSeconds: Double, in zone: ZoneInfo) -> String {
        let local = zone.localTime(at: Int64(epochSeconds.rounded(.down)))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(local.date) \(two(local.hour)):\(two(local.minute))"
    }

    public static func align(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }
                .joined(separator: "  ").trimmingWhitespace()
        }
    }
}
