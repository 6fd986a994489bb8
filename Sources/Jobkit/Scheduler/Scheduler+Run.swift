import DequeModule
import Dispatch
import Synchronization

/// The scheduler's lifecycle: starting workers, firing timers, shutting down.
extension Scheduler {
    /// How ``Scheduler/shutdown(_:)`` treats unfinished tasks.
    public enum ShutdownMode: Sendable, Hashable {
        /// Take no new tasks; let every submitted task finish, retries included.
        case drain
        /// Take no new tasks; cancel every unfinished one (running jobs are asked to stop).
        case cancel
    }

    /// Starts the workers and runs until a shutdown has finished every task.
    ///
    /// Cancelling the task that runs this is a ``ShutdownMode/cancel`` shutdown; it still waits for running
    /// jobs to return, because threads cannot be stopped from outside.
    ///
    /// - Throws: ``JobError`` (`.alreadyRunning`) if called twice.
    public func run() async throws {
        try lifecycle.withLock { state in
            guard !state.started else { throw JobError(.alreadyRunning, "the scheduler's run() was already called") }
            state.started = true
        }
        for thread in workerThreads {
            thread.start { [self] in workerMain(thread.index) }
        }
        var effects = CoreEffects()
        core.withLock { $0.startWorkers(effects: &effects) }
        apply(effects)

        await withTaskCancellationHandler {
            await runTimers()
        } onCancel: {
            shutdown(.cancel)
        }
        // Reached after a drain, or early on cancellation: either way every task must end first.
        await waitUntilIdle()
        core.withLock { $0.lifecycle = .stopped }
        for thread in workerThreads { thread.wakeUp.signal() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let allExited = lifecycle.withLock { state -> Bool in
                if state.exitedWorkers == workerThreads.count { return true }
                state.workersExited = continuation
                return false
            }
            if allExited { continuation.resume() }
        }
    }

    /// Stops taking tasks; ``run()`` returns once every task has ended.
    public func shutdown(_ mode: ShutdownMode = .drain) {
        var effects = CoreEffects()
        core.withLock { core in
            if core.isAccepting { core.lifecycle = .draining }
            if mode == .cancel { core.cancelAll(effects: &effects) }
        }
        effects.wakeRunLoop = true
        apply(effects)
    }

    /// Fires retry and timeout timers until a shutdown has drained every task or the calling task is cancelled.
    private func runTimers() async {
        while !Task.isCancelled {
            let (deadline, drained) = core.withLock { core in
                (core.nextDeadline, core.lifecycle == .draining && core.activeTasks == 0)
            }
            if drained { return }
            await withTaskGroup(of: Void.self) { group in
                if let deadline {
                    group.addTask { try? await self.clock.sleep(until: deadline) }
                }
                group.addTask { await self.timerSignal.wait() }
                await group.next()
                group.cancelAll()
            }
            var effects = CoreEffects()
            core.withLock { $0.fireTimers(effects: &effects) }
            apply(effects)
        }
    }

    /// The loop of one worker thread: take work, run it, report, repeat.
    private func workerMain(_ index: Int) {
        let thread = workerThreads[index]
        var next: Assignment?
        while true {
            if next == nil {
                thread.wakeUp.wait()
                let (handoff, stop) = core.withLock { core -> (Assignment?, Bool) in
                    defer { core.workers[index].handoff = nil }
                    return (core.workers[index].handoff, core.lifecycle == .stopped)
                }
                if handoff == nil && stop { break }
                next = handoff
                continue
            }
            let assignment = next!
            let result = WorkerThread.execute(assignment)
            var effects = CoreEffects()
            next = core.withLock { core in
                core.attemptFinished(worker: index, assignment: assignment, result: result, effects: &effects)
            }
            apply(effects)
        }
        let waiter = lifecycle.withLock { state -> CheckedContinuation<Void, Never>? in
            state.exitedWorkers += 1
            guard state.exitedWorkers == workerThreads.count else { return nil }
            defer { state.workersExited = nil }
            return state.workersExited
        }
        waiter?.resume()
    }
}

extension SchedulerCore {
    /// Makes every worker available and hands them the tasks queued before ``Scheduler/run()``.
    mutating func startWorkers(effects: inout CoreEffects) {
        if lifecycle == .idle { lifecycle = .running }
        idleWorkers = Array(workers.indices.reversed())
        while !idleWorkers.isEmpty, let id = workerQueue.popFirst() {
            guard tasks[id]?.state == .pending else { continue }
            let worker = idleWorkers.removeLast()
            workers[worker].handoff = start(id, on: worker, effects: &effects)
            effects.wakeWorkers.append(worker)
        }
    }
}
