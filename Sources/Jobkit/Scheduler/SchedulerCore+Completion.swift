import DequeModule
import FoundationEssentials

/// Ending attempts and tasks, and carrying outcomes along dependency edges.
extension SchedulerCore {
    /// Records how an attempt ended and decides between retry and finish; returns the worker's next work.
    mutating func attemptFinished(
        worker: Int,
        assignment: Assignment,
        result: Result<Void, any Error>,
        effects: inout CoreEffects
    ) -> Assignment? {
        let record = assignment.record
        let id = record.ref.id
        let now = clock.now()
        let duration = record.startInstant.map { $0.duration(to: now) }
        record.lastProgress = assignment.context.lastProgress
        releasePools(record, effects: &effects)

        runningAttempts -= 1
        if runningAttempts == 0 && lifecycle == .suspending {
            effects.wakeRunLoop = true
            effects.idleWaiters += quietWaiters
            quietWaiters = []
        }

        let (ending, message) = Self.classify(
            result, reason: assignment.context.cancellationReason, timeout: record.timeout)
        if ending == .interrupted {
            // Stopped by a shutdown, not by anything the task did: it will run again, and this attempt does
            // not count against its retries.
            record.uncountedAttempts += 1
            record.worker = nil
            report(.interrupted(record.ref, attempt: record.attempt, duration: duration))
            enqueueForWorker(record, effects: &effects)
            return nextAssignment(for: worker, effects: &effects)
        }
        var action = RetryDecision.after(
            attempt: record.countedAttempts, ending: ending, policy: record.retry, unitRandom: unitRandom())
        if case .retry = action, cancellingAll { action = .finish(.cancelled) }

        switch action {
        case .retry(let delay):
            record.lastError = message
            record.worker = nil
            record.retryAt = clock.wallTime().addingTimeInterval(delay.seconds)
            setState(record, .retryWait)
            report(.retrying(record.ref, attempt: record.attempt, delay: delay, error: message ?? ""))
            addTimer(.retry, task: id, attempt: record.attempt, at: now.advanced(by: delay), effects: &effects)
        case .finish(let outcome):
            finish(record, outcome, error: outcome == .succeeded ? nil : message, duration: duration, effects: &effects)
        }
        return nextAssignment(for: worker, effects: &effects)
    }

    /// Maps a job's result and any stop request to an ending and an error message.
    static func classify(
        _ result: Result<Void, any Error>,
        reason: CancellationReason?,
        timeout: Duration?
    ) -> (AttemptEnding, String?) {
        switch (reason, result) {
        case (.timedOut?, _):
            return (.timedOut, "timed out after \(timeout.map { "\($0.seconds)s" } ?? "its deadline")")
        case (.cancelled?, _):
            return (.cancelled, "cancelled while running")
        case (.interrupted?, _):
            return (.interrupted, "interrupted by a shutdown")
        case (nil, .success):
            return (.succeeded, nil)
        case (nil, .failure(let error as TaskError)):
            return (error.isRetryable ? .retryable : .fatal, error.message)
        case (nil, .failure(let error)):
            return (.fatal, String(describing: error))
        }
    }

    /// Ends `record` with `outcome` and carries the outcome to its dependants, iteratively (chains can be long).
    mutating func finish(
        _ record: TaskRecord,
        _ outcome: TaskOutcome,
        error: String?,
        duration: Duration? = nil,
        effects: inout CoreEffects
    ) {
        // Dependants it settles, by id; the list allocates only when there are some.
        var settled: [(TaskID, TaskOutcome, String?)] = []
        end(record, outcome, error: error, duration: duration, settling: &settled, effects: &effects)
        while let (id, outcome, error) = settled.popLast() {
            guard let dependant = tasks[id] else { continue }
            end(dependant, outcome, error: error, duration: nil, settling: &settled, effects: &effects)
        }
    }

    /// Ends one task unless it has already ended, adding the dependants whose outcome that decides to
    /// `settled`.
    private mutating func end(
        _ record: TaskRecord,
        _ outcome: TaskOutcome,
        error: String?,
        duration: Duration?,
        settling settled: inout [(TaskID, TaskOutcome, String?)],
        effects: inout CoreEffects
    ) {
        guard record.outcome == nil else { return }
        let previous = record.state
        record.outcome = outcome
        record.state = outcome.state
        stateCounts.move(from: previous, to: outcome.state)
        record.finishedAt = clock.wallTime()
        record.worker = nil
        if let error { record.lastError = error }
        if outcome == .succeeded { record.lastError = nil }
        // What only running needs goes: the job and its captures, the last attempt's context.
        if let progress = record.context?.lastProgress { record.lastProgress = progress }
        record.context = nil
        record.body = nil
        report(.stateChanged(record.ref, from: previous, to: outcome.state))
        report(.finished(record.ref, outcome: outcome, attempt: record.attempt, duration: duration, error: error))
        effects.completions.append(
            (record.completion, TaskResult(outcome: outcome, attempts: record.attempt, error: error)))
        if previous == .waiting {
            tryGrant(record.pools.map(\.name), effects: &effects)  // drops its stale queue entries
        }
        // Built only for tasks that have dependants: most have none.
        let label = record.dependants.isEmpty ? "" : Self.label(record.ref)
        for dependant in record.dependants {
            if let next = dependencyFinished(dependant, outcome: outcome, dependency: label, effects: &effects) {
                settled.append((dependant, next.0, next.1))
            }
        }
        retire(record.ref.id, effects: &effects)
    }

    /// Applies a dependency's outcome to `id`; returns the outcome `id` must finish with, if any.
    mutating func dependencyFinished(
        _ id: TaskID,
        outcome: TaskOutcome,
        dependency: String,
        effects: inout CoreEffects
    ) -> (TaskOutcome, String)? {
        guard let record = tasks[id], record.outcome == nil, record.state == .blocked else { return nil }
        switch (outcome, record.onDependencyFailure) {
        case (.succeeded, _), (.failed, .ignore), (.retriesExhausted, .ignore), (.timedOut, .ignore),
            (.skipped, .ignore):
            record.unfinishedDependencies -= 1
            if record.unfinishedDependencies == 0 { becomeReady(record, effects: &effects) }
            return nil
        case (.cancelled, _):
            return (.cancelled, "dependency \(dependency) was cancelled")
        case (_, .fail):
            return (.failed, "dependency \(dependency) did not succeed (\(outcome.rawValue))")
        case (_, .skip):
            return (.skipped, "skipped: dependency \(dependency) did not succeed (\(outcome.rawValue))")
        }
    }

    /// Bookkeeping once a task is terminal: idle waiters, and forgetting the oldest finished tasks.
    private mutating func retire(_ id: TaskID, effects: inout CoreEffects) {
        activeTasks -= 1
        if activeTasks == 0 {
            effects.idleWaiters += idleWaiters
            idleWaiters = []
            effects.wakeRunLoop = true
        }
        finishedOrder.append(id)
        while finishedOrder.count > finishedTaskRetention, let oldest = finishedOrder.popFirst() {
            tasks[oldest] = nil
        }
    }

    /// Cancels `id`: at once if it has not started, cooperatively if it runs.
    ///
    /// - Returns: `false` if it had already finished.
    /// - Throws: ``JobError`` (`.unknownTask`) if no task has this id.
    mutating func cancel(_ id: TaskID, effects: inout CoreEffects) throws -> Bool {
        guard let record = tasks[id] else {
            throw JobError(.unknownTask, "no task \(id) (it never existed or finished long ago)")
        }
        guard record.outcome == nil else { return false }
        if record.state == .running {
            if let context = record.context { effects.cancellations.append((context, .cancelled)) }
        } else {
            finish(record, .cancelled, error: "cancelled before it ran (\(record.state.rawValue))", effects: &effects)
        }
        return true
    }

    /// Cancels every unfinished task and stops scheduling retries.
    mutating func cancelAll(effects: inout CoreEffects) {
        cancellingAll = true
        let unfinished = tasks.values.filter { $0.outcome == nil }.map(\.ref.id).sorted()
        for id in unfinished {
            _ = try? cancel(id, effects: &effects)
        }
    }
}
