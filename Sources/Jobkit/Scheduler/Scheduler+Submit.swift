import Synchronization

extension Scheduler {
    /// Validates `task`, builds its record outside the core's lock, and inserts it under it.
    func submit(_ task: NewTask) throws -> TaskHandle {
        try validate(task)
        let id = task.options.id ?? TaskID(rawValue: nextTaskID.wrappingAdd(1, ordering: .relaxed).oldValue)
        let record = TaskRecord(task, id: id, batchIDs: [id], submittedAt: clock.wallTime())
        try withCore { core, effects in try core.submit(record, dependsOn: task.options.dependsOn, effects: &effects) }
        return handle(of: record)
    }

    /// Validates `batch`, builds its records outside the core's lock, and inserts them under it.
    func submit(_ batch: [NewTask]) throws -> [TaskHandle] {
        for task in batch { try validate(task) }
        let ids = assignIDs(batch)
        let now = clock.wallTime()
        let records = batch.indices.map { TaskRecord(batch[$0], id: ids[$0], batchIDs: ids, submittedAt: now) }
        try withCore { core, effects in try core.submit(records, from: batch, effects: &effects) }
        return records.map(handle(of:))
    }

    /// Fresh ids, never given to a task of this scheduler before, for tasks to be submitted later with
    /// ``TaskOptions/id``: a persistent queue records a task under its id before submitting it.
    public func reserveTaskIDs(_ count: Int) -> [TaskID] {
        guard count > 0 else { return [] }
        let first = nextTaskID.wrappingAdd(UInt64(count), ordering: .relaxed).oldValue
        return (0..<UInt64(count)).map { TaskID(rawValue: first + $0) }
    }

    /// Makes sure no id up to `last` is given from now on (by a submission or ``reserveTaskIDs(_:)``):
    /// the ids a persistent queue has stored, which its tasks keep when submitted again.
    public func skipTaskIDs(through last: UInt64) {
        var next = nextTaskID.load(ordering: .relaxed)
        while next <= last {
            let (exchanged, current) = nextTaskID.compareExchange(
                expected: next, desired: last + 1, ordering: .relaxed)
            if exchanged { return }
            next = current
        }
    }

    /// Each task's id: its own, or the next of the scheduler's.
    private func assignIDs(_ batch: [NewTask]) -> [TaskID] {
        var fresh = reserveTaskIDs(batch.count { $0.options.id == nil })[...]
        return batch.map { $0.options.id ?? fresh.popFirst()! }
    }

    private func handle(of record: TaskRecord) -> TaskHandle {
        TaskHandle(id: record.ref.id, name: record.ref.name, scheduler: self, completion: record.completion)
    }

    /// Checks what does not depend on the scheduler's changing state: options, and pools against the
    /// configuration.
    private func validate(_ task: NewTask) throws {
        try task.options.retry.validate()
        guard !task.name.isEmpty else { throw JobError(.invalidConfiguration, "a task needs a name") }
        guard task.options.attemptsMade >= 0 else {
            throw JobError(
                .invalidConfiguration,
                "task '\(task.name)' has attemptsMade \(task.options.attemptsMade); it must not be negative")
        }
        if let timeout = task.options.timeout, timeout <= .zero {
            throw JobError(.invalidConfiguration, "task '\(task.name)' has timeout \(timeout); it must be positive")
        }
        if let foreign = task.options.dependsOn.first(where: { $0.scheduler !== self }) {
            throw JobError(
                .foreignTask, "task '\(task.name)' depends on \(foreign), which belongs to another scheduler")
        }
        for (pool, slots) in task.options.pools.sorted(by: { $0.key < $1.key }) {
            guard let capacity = configuration.pools[pool] else {
                let known =
                    configuration.pools.isEmpty ? "none" : configuration.pools.keys.sorted().joined(separator: ", ")
                throw JobError(
                    .unknownPool, "task '\(task.name)' needs pool '\(pool)', which does not exist (pools: \(known))")
            }
            guard slots >= 1, slots <= capacity else {
                throw JobError(
                    .invalidSlots,
                    "task '\(task.name)' asks for \(slots) slots of pool '\(pool)', which has \(capacity); "
                        + "ask for 1…\(capacity)")
            }
        }
    }
}
