import FoundationEssentials
import Jobkit
import JobkitDaemon
import JobkitSupport

/// Lays out one `memoryd top` screen as plain lines, each at most `width` characters, at most `height`
/// of them; sections further down give way first when the terminal is short.
public enum TopScreen {
    /// Sparkline bars from none to most.
    static let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The keys the interactive view answers to, at the right of its first line.
    public static let keyHint = "q quit"

    /// - Parameter hint: shown at the right of the first line; `nil` for a snapshot no key reaches.
    public static func render(_ frame: TopModel.Frame, width: Int, height: Int, hint: String? = keyHint) -> [String] {
        var lines: [String] = []
        guard let status = frame.status else {
            lines.append("memoryd top — " + (frame.problem ?? "waiting for the daemon…"))
            return fit(lines, width: width, height: height)
        }
        let busy = status.workers.filter(\.busy).count
        let uptime = DurationText.human(seconds: status.time.timeIntervalSince(status.startedAt))
        let header =
            "memoryd pid \(status.pid) · up \(uptime) · \(status.workers.count) workers, \(busy) busy · "
            + TopModel.clock(frame.time)
        lines.append(hint.map { pad(header, hint: $0, width: width) } ?? header)
        if let problem = frame.problem { lines.append("! \(problem) (showing the last answer)") }
        let states = TaskState.allCases.map { "\($0.rawValue) \(status.tasksByState[$0.rawValue] ?? 0)" }
        lines += wrap(states, first: "tasks  ", width: width)
        lines.append("")

        var workers = [["WORKER", "TASK", "JOB", "RUNNING"]]
        let running = Dictionary(
            status.recentTasks.filter { $0.state == .running }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for worker in status.workers {
            let task = worker.task.flatMap { running[$0] }
            let since = task?.startedAt.map { DurationText.human(seconds: status.time.timeIntervalSince($0)) } ?? ""
            let progress = task?.progress.map { " " + DurationText.fixed($0 * 100, digits: 0) + "%" } ?? ""
            workers.append([
                worker.name, worker.task.map { "\($0) \(worker.taskName ?? "")" } ?? "idle", task?.job ?? "",
                since + progress,
            ])
        }
        lines += HumanOutput.align(workers)
        lines.append("")

        let sparkWidth = max(8, min(frame.finished.values.first?.count ?? 0, width - 48))
        var jobs = [["JOB", "DONE/MIN", "OK 5m", "P99 5m", "FINISHED, LAST \(sparkWidth * frame.bucketSeconds)s"]]
        let names = Set(status.jobs.map(\.job)).union(frame.finished.keys)
            .subtracting([MemorydAPI.housekeepingJobType]).sorted()
        for name in names {
            let stats = status.jobs.first { $0.job == name }
            let minute = stats?.windows.first
            let five = stats.flatMap { $0.windows.count > 1 ? $0.windows[1] : $0.windows.first }
            jobs.append([
                name, minute.map { DurationText.fixed($0.finishedPerSecond * 60, digits: 1) } ?? "-",
                five?.successRatio.map { DurationText.fixed($0 * 100, digits: 0) + "%" } ?? "-",
                five?.durationQuantiles["0.99"].map { DurationText.human(seconds: $0) } ?? "-",
                sparkline(Array((frame.finished[name] ?? []).suffix(sparkWidth)), width: sparkWidth),
            ])
        }
        lines += HumanOutput.align(jobs)
        if names.isEmpty { lines.append("(no job has run yet)") }

        if !status.pools.isEmpty {
            lines.append("")
            var pools = [["POOL", "IN USE", "WAITING", ""]]
            for pool in status.pools {
                let filled = pool.slots == 0 ? 0 : min(10, pool.inUse * 10 / pool.slots)
                pools.append([
                    pool.name, "\(pool.inUse)/\(pool.slots)", "\(pool.waiting)",
                    "[" + String(repeating: "█", count: filled) + String(repeating: " ", count: 10 - filled) + "]",
                ])
            }
            lines += HumanOutput.align(pools)
        }

        lines.append("")
        let firing = frame.alerts.sorted {
            ($0.state == "firing" ? 0 : 1, $0.name) < ($1.state == "firing" ? 0 : 1, $1.name)
        }
        lines.append("ALERTS" + (firing.isEmpty ? "  none" : ""))
        for alert in firing {
            let summary = alert.annotations["summary"].map { "  " + $0 } ?? ""
            lines.append("  \(alert.state)  \(alert.name)  \(alert.labelText)\(summary)")
        }

        lines.append("")
        lines.append("EVENTS")
        lines += frame.recentEvents.reversed().map { "  " + $0 }
        return fit(lines, width: width, height: height)
    }

    /// `counts` as bars scaled to the largest, right-aligned in `width` characters.
    static func sparkline(_ counts: [Int], width: Int) -> String {
        let top = counts.max() ?? 0
        let bars = counts.map { count -> Character in
            guard top > 0, count > 0 else { return count == 0 ? " " : Self.bars[0] }
            return Self.bars[min(Self.bars.count - 1, (count * Self.bars.count - 1) / top)]
        }
        return String(repeating: " ", count: max(0, width - bars.count)) + String(bars)
    }

    /// `items` two spaces apart after `first`, on as many lines as `width` needs (continuations indented
    /// under the first item), so none is cut off.
    static func wrap(_ items: [String], first: String, width: Int) -> [String] {
        let indent = String(repeating: " ", count: first.count)
        var lines: [String] = []
        var line = first
        for item in items {
            if line.count > indent.count, line.count + 2 + item.count > width {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? "  " : "") + item
        }
        return lines + [line]
    }

    /// `text` with `hint` at the right edge when both fit.
    private static func pad(_ text: String, hint: String, width: Int) -> String {
        let gap = width - text.count - hint.count
        return gap >= 2 ? text + String(repeating: " ", count: gap) + hint : text
    }

    private static func fit(_ lines: [String], width: Int, height: Int) -> [String] {
        lines.prefix(max(1, height)).map { $0.count > width ? String($0.prefix(max(0, width - 1))) + "…" : $0 }
    }
}
