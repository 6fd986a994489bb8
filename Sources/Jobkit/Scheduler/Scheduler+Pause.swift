import Synchronization

extension Scheduler {
    /// Holds the tasks of `jobType`: those that become ready from now on wait, pending and without pool
    /// slots, until ``resume(jobType:)``; running ones go on. Submitting and cancelling work as usual.
    public func pause(jobType: String) {
        core.withLock { _ = $0.pausedJobTypes.insert(jobType) }
    }

    /// Lets the held tasks of `jobType` go on, in the order they became ready.
    public func resume(jobType: String) {
        withCore { core, effects in core.resume(jobType, effects: &effects) }
    }

    /// The job types paused now.
    public func pausedJobTypes() -> Set<String> {
        core.withLock { $0.pausedJobTypes }
    }
}

extension SchedulerCore {
    mutating func resume(_ jobType: String, effects: inout CoreEffects) {
        guard pausedJobTypes.remove(jobType) != nil else { return }
        for id in heldTasks.removeValue(forKey: jobType) ?? [] where tasks[id]?.outcome == nil {
            guard tasks[id]?.state == .pending else { continue }
            becomeReady(id, effects: &effects)
        }
    }

    /// A drain ends only once every task has: held tasks go on.
    mutating func resumeAll(effects: inout CoreEffects) {
        for jobType in pausedJobTypes.sorted() { resume(jobType, effects: &effects) }
    }
}
