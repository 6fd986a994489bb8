import FoundationEssentials
import Jobkit

extension PipelineRunner {
    /// What resuming the queue did, for the start-up lines.
    struct Resumption: Sendable, Equatable {
        /// Tasks submitted again.
        var resumed = 0
        /// Processes an earlier daemon's commands left running, ended before their tasks run again.
        var endedProcesses: [Int32] = []
        /// Tasks held back because processes of their last attempt would not die; they stay queued.
        var heldBack: [String] = []
    }

    /// Submits again the tasks the store holds unfinished from before a restart, after ending whatever
    /// their last attempts left running.
    ///
    /// A task whose job is no longer in the config, or whose upstream job did not succeed, is marked
    /// finished instead. A task resumes with its attempt count, and one that was waiting out a backoff
    /// waits out the rest of it.
    func resume() throws -> Resumption {
        var result = Resumption()
        guard let store else { return result }
        let pending = try store.unfinished()
        let groups = pending.compactMap { task in
            task.processGroup.map { LeftoverProcesses.Group(record: $0, run: task.run) }
        }
        let report = LeftoverProcesses(grace: killGrace).terminate(groups)
        result.endedProcesses = report.found
        let stuck = Set(groups.map(\.record.pgid)).subtracting(report.ended)
        let now = Date()
        for run in Dictionary(grouping: pending, by: \.run).sorted(by: { $0.value[0].storeID < $1.value[0].storeID }) {
            let jobsInRun = Set(run.value.map(\.job))
            let finished = try store.outcomes(of: run.key)
            var tasks: [RunTask] = []
            var abandoned: Set<String> = []
            for task in run.value {
                if let reason = abandonment(of: task, abandoned: abandoned, finished: finished) {
                    try store.abandon(task.storeID, reason: reason)
                    abandoned.insert(task.job)
                    continue
                }
                tasks.append(
                    RunTask(
                        job: task.job, upstreams: task.dependsOn.filter(jobsInRun.contains),
                        parameters: task.parameters,
                        storeID: task.storeID, attemptsMade: task.attempts, interruptions: task.interruptions,
                        retryDelay: task.retryAt.map { .milliseconds(Int64(max(0, $0.timeIntervalSince(now)) * 1000)) })
                )
            }
            if let held = run.value.first(where: { task in task.processGroup.map { stuck.contains($0.pgid) } ?? false })
            {
                // Running it now could run it twice; it stays in the queue for the next start.
                result.heldBack.append("\(held.job) of \(run.key)")
                continue
            }
            guard !tasks.isEmpty else { continue }
            store.track(run.key, tasks.map { ($0.job, $0.storeID!) })
            let resumed = try submit(run.key, tasks)
            // The run's first task is the job that started it.
            if let first = run.value.first { registerUnique(resumed, job: first.job, parameters: first.parameters) }
            result.resumed += tasks.count
        }
        return result
    }

    /// Why a stored task will not run again, or `nil` if it will.
    private func abandonment(of task: TaskStore.StoredTask, abandoned: Set<String>, finished: [String: String])
        -> String?
    {
        guard config.job(task.job) != nil else { return "job '\(task.job)' is no longer in \(config.file)" }
        if let gone = task.dependsOn.first(where: abandoned.contains) { return "upstream job '\(gone)' was abandoned" }
        let succeeded = EventKind.finished(.succeeded).rawValue
        if let failed = task.dependsOn.first(where: { finished[$0].map { $0 != succeeded } ?? false }) {
            return "upstream job '\(failed)' ended \(finished[failed]!)"
        }
        return nil
    }
}
