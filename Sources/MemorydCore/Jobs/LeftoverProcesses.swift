import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Ends what an earlier daemon's commands left running, before their tasks run again, so no task ever
/// runs in two processes at once.
///
/// A daemon killed with `kill -9` takes its commands' direct processes with it (`PR_SET_PDEATHSIG`), but
/// what they started lives on in their process group. The queue recorded each running attempt's group
/// with its leader's start time and the boot id; a member is one of ours when it is in that group, started
/// no earlier than the leader, the leader (if alive) is the recorded process, and, where its environment
/// can be read, it carries the task's `MEMORYD_RUN_ID`. Members get SIGTERM, then SIGKILL after the grace.
struct LeftoverProcesses: Sendable {
    /// One recorded group and the run its task belongs to.
    struct Group: Sendable, Hashable {
        let record: ProcessGroupRecord
        let run: String
    }

    /// What was done.
    struct Report: Sendable, Equatable {
        /// Processes found and signalled.
        var found: [pid_t] = []
        /// Processes still there after SIGKILL and ``LeftoverProcesses/killWait`` (stuck in the kernel).
        var survivors: [pid_t] = []
        /// Groups whose members all ended.
        var ended: Set<Int32> = []
    }

    /// Time between SIGTERM and SIGKILL.
    let grace: Duration
    /// Longest wait for SIGKILLed processes to disappear (10 s).
    static let killWait: Duration = .seconds(10)
    /// Between looks at whether they are gone (50 ms).
    static let pollInterval: Duration = .milliseconds(50)

    /// The members of `group` alive now.
    static func members(of group: Group, in table: [ProcessTable.Entry]) -> [pid_t] {
        let record = group.record
        guard record.bootID == ProcessTable.bootID, record.pgid > 1 else { return [] }
        let candidates = table.filter { $0.pgid == record.pgid && !$0.isZombie }
        if let leader = candidates.first(where: { $0.pid == record.pgid }), leader.startTicks != record.startTicks {
            return []  // the group id belongs to another process now
        }
        let marker = "MEMORYD_RUN_ID=" + group.run
        return candidates.filter { entry in
            entry.startTicks >= record.startTicks
                && ProcessTable.environment(of: entry.pid, contains: marker) != false
        }.map(\.pid)
    }

    /// Signals every member of `groups` and waits until they are gone or the waits run out.
    func terminate(_ groups: [Group]) -> Report {
        var report = Report()
        var remaining = Dictionary(
            groups.map { ($0.record.pgid, $0) }, uniquingKeysWith: { first, _ in first })
        let initial = ProcessTable.entries()
        for (pgid, group) in remaining {
            let members = Self.members(of: group, in: initial)
            if members.isEmpty {
                remaining[pgid] = nil
                report.ended.insert(pgid)
            }
            report.found += members
            for pid in members { kill(pid, SIGTERM) }
        }
        guard !remaining.isEmpty else { return report }
        waitUntilGone(&remaining, &report, for: grace)
        for group in remaining.values {
            for pid in Self.members(of: group, in: ProcessTable.entries()) { kill(pid, SIGKILL) }
        }
        waitUntilGone(&remaining, &report, for: Self.killWait)
        let table = ProcessTable.entries()
        for group in remaining.values { report.survivors += Self.members(of: group, in: table) }
        report.found.sort()
        report.survivors.sort()
        return report
    }

    private func waitUntilGone(_ remaining: inout [Int32: Group], _ report: inout Report, for duration: Duration) {
        let end = ContinuousClock.now.advanced(by: duration)
        while !remaining.isEmpty {
            let table = ProcessTable.entries()
            for (pgid, group) in remaining where Self.members(of: group, in: table).isEmpty {
                remaining[pgid] = nil
                report.ended.insert(pgid)
            }
            guard !remaining.isEmpty, ContinuousClock.now < end else { return }
            let interval = Self.pollInterval.components
            var pause = timespec(tv_sec: Int(interval.seconds), tv_nsec: Int(interval.attoseconds / 1_000_000_000))
            nanosleep(&pause, nil)
        }
    }
}
