import Jobkit
import JobkitDaemon
import JobkitSupport

extension MemorydDaemon {
    /// Stops taking work and lets running tasks finish within ``DaemonSettings/shutdownGrace``; after it,
    /// they are interrupted. Every unfinished task stays in the queue and resumes at the next start.
    /// Returns the grace timer, to cancel once the scheduler has stopped.
    func beginShutdown() -> Task<Void, Never> {
        systemd.notify(.stopping, status: "stopping: letting running tasks finish")
        // The daemon's own loops stop now; their watchdogs must not raise alerts about it (the health
        // monitor's service has stopped it already; this keeps that true for any caller).
        health.stop()
        scheduler.shutdown(.suspend)
        let running = scheduler.tasks().filter { $0.state == .running && $0.jobType != Self.housekeepingJobType }
        let grace = settings.shutdownGrace
        if running.isEmpty {
            StandardStreams.error("memoryd: stopping: no task is running\n")
        } else {
            let names = running.map { "\($0.id) \($0.jobType)" }.joined(separator: ", ")
            StandardStreams.error(
                "memoryd: stopping: waiting up to \(MemorydConfig.compact(grace)) for \(running.count) running task\(running.count == 1 ? "" : "s") (\(names)); what has not finished then resumes at the next start\n"
            )
        }
        return Task {
            guard (try? await scheduler.clock.sleep(for: grace)) != nil else { return }
            let still = scheduler.tasks().filter { $0.state == .running }
            if !still.isEmpty {
                StandardStreams.error(
                    "memoryd: shutdown grace of \(MemorydConfig.compact(grace)) is over: interrupting \(still.count) task\(still.count == 1 ? "" : "s"); they resume at the next start\n"
                )
            }
            scheduler.shutdown(.interrupt)
        }
    }

    /// Says what resuming the queue did.
    func report(_ resumption: PipelineRunner.Resumption) {
        if !resumption.endedProcesses.isEmpty {
            let pids = resumption.endedProcesses.map(String.init).joined(separator: ", ")
            StandardStreams.error(
                "memoryd: ended \(resumption.endedProcesses.count) processes the previous daemon's tasks left running (pids \(pids))\n"
            )
        }
        for held in resumption.heldBack {
            StandardStreams.error(
                "memoryd: not resuming \(held): processes of its last attempt would not die; it stays queued\n")
        }
        if resumption.resumed > 0 {
            StandardStreams.error("memoryd: resumed \(resumption.resumed) unfinished tasks from the queue\n")
        }
    }
}
