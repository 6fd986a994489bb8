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
        /// Take no new tasks and start no more attempts; running attempts go on until they end. Tasks
        /// that have not finished then stay unfinished (no finish is reported for them), for a daemon that
        /// keeps them in a persistent queue and runs them after a restart. ``Scheduler/run()`` returns as
        /// soon as no attempt runs, at once if none does.
        case suspend
        /// ``suspend``, and ask every running attempt to stop with ``CancellationReason/interrupted``: the
        /// end of a shutdown's grace. An interrupted attempt does not count against the task's retries.
        case interrupt
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
        withCore { core, effects in core.startWorkers(effects: &effects) }

        await withTaskCancellationHandler {
            await runTimers()
        } onCancel: {
            shutdown(.cancel)
        }
        // Reached after a drain, a suspension, or early on cancellation. A drain or cancellation ends every
        // task first; a suspension only waits for running attempts to end.
        if core.withLock({ $0.lifecycle == .suspending }) {
            await waitUntilNoAttemptRuns()
            finishSuspension()
        } else {
            await waitUntilIdle()
        }
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

    /// Stops taking tasks; ``run()`` returns once every task has ended (``ShutdownMode/drain``,
    /// ``ShutdownMode/cancel``) or once no attempt runs (``ShutdownMode/suspend``,
    /// ``ShutdownMode/interrupt``). A later call may escalate: drain, then suspend, then interrupt.
    public func shutdown(_ mode: ShutdownMode = .drain) {
        withCore { core, effects in
            switch mode {
            case .drain:
                if core.isAccepting { core.lifecycle = .draining }
                // Held tasks would keep a drain waiting for ever.
                core.resumeAll(effects: &effects)
            case .cancel:
                if core.isAccepting { core.lifecycle = .draining }
                core.cancelAll(effects: &effects)
            case .suspend, .interrupt:
                if core.isAccepting || core.lifecycle == .draining { core.suspend(effects: &effects) }
                if mode == .interrupt { core.interruptRunning(effects: &effects) }
            }
            effects.wakeRunLoop = true
        }
    }

    /// Waits, once suspending, until no attempt runs.
    private func waitUntilNoAttemptRuns() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let quiet = core.withLock { core -> Bool in
                if core.runningAttempts == 0 { return true }
                core.quietWaiters.append(continuation)
                return false
            }
            if quiet { continuation.resume() }
        }
    }

    /// After a suspension: tells whoever waits on an unfinished task that it will not finish here.
    private func finishSuspension() {
        let (completions, waiters) = core.withLock { core in
            let unfinished = core.tasks.values.filter { $0.outcome == nil }
            let completions = unfinished.map { record in
                (
                    record.completion,
                    TaskResult(
                        outcome: .cancelled, attempts: record.attempt,
                        error: "suspended: the scheduler stopped before the task finished")
                )
            }
            defer { core.idleWaiters = [] }
            return (completions, core.idleWaiters)
        }
        for (completion, result) in completions { completion.complete(result) }
        for waiter in waiters { waiter.resume() }
    }

    /// Fires retry and timeout timers until a shutdown has drained every task or the calling task is cancelled.
    private func runTimers() async {
        while !Task.isCancelled {
            let (deadline, drained) = core.withLock { core in
                (
                    core.nextDeadline,
                    (core.lifecycle == .draining && core.activeTasks == 0)
                        || (core.lifecycle == .suspending && core.runningAttempts == 0)
                )
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
            withCore { core, effects in core.fireTimers(effects: &effects) }
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
            next = withCore { core, effects in
                core.attemptFinished(worker: index, assignment: assignment, result: result, effects: &effects)
            }
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
    /// Stops starting attempts: what is queued for a worker stays queued.
    mutating func suspend(effects: inout CoreEffects) {
        lifecycle = .suspending
        if runningAttempts == 0 {
            effects.idleWaiters += quietWaiters
            quietWaiters = []
        }
    }

    /// Asks every running attempt to stop, keeping its task for later.
    mutating func interruptRunning(effects: inout CoreEffects) {
        for slot in workers {
            guard let id = slot.current, let record = tasks[id], record.state == .running,
                let context = record.context
            else { continue }
            effects.cancellations.append((context, .interrupted))
        }
    }

    /// Makes every worker available and hands them the tasks queued before ``Scheduler/run()``.
    mutating func startWorkers(effects: inout CoreEffects) {
        if lifecycle == .idle { lifecycle = .running }
        idleWorkers = Array(workers.indices.reversed())
        while lifecycle != .suspending, !idleWorkers.isEmpty, let record = workerQueue.popFirst() {
            guard record.state == .pending else { continue }
            let worker = idleWorkers.removeLast()
            workers[worker].handoff = start(record, on: worker, effects: &effects)
            effects.wakeWorkers.append(worker)
        }
    }
}
