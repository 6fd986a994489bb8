/// Resource pool acquisition: all of a task's slots at once, first come first served per pool.
///
/// A task joins the queue of every pool it needs in one step (under the lock) and is granted when it
/// heads all of those queues and each has enough free slots. Queues are ordered by arrival, so the oldest
/// waiting task heads every queue it is in and nothing can wait in a cycle: no deadlock, whatever order
/// tasks list their pools in, and no starvation. The price is head-of-line blocking: a task behind an
/// older one in a pool waits even if it could fit.
extension SchedulerCore {
    mutating func requestPools(_ id: TaskID, effects: inout CoreEffects) {
        let record = tasks[id]!
        let immediate = record.pools.allSatisfy { requirement in
            let pool = pools[requirement.name]!
            return pool.waitingCount == 0 && pool.free >= requirement.slots
        }
        if immediate {
            for requirement in record.pools {
                pools[requirement.name]!.inUse += requirement.slots
                report(.poolAcquired(record.ref, pool: requirement.name, slots: requirement.slots, waited: .zero))
            }
            enqueueForWorker(id, effects: &effects)
            return
        }
        tasks[id]!.poolWaitStart = clock.now()
        setState(id, .waiting)
        for requirement in record.pools {
            let pool = pools[requirement.name]!
            if pool.waitingCount > 0 || pool.free < requirement.slots {
                report(.poolWaitBegan(record.ref, pool: requirement.name, slots: requirement.slots))
            }
            pools[requirement.name]!.queue.append(id)
        }
        tryGrant(record.pools.map(\.name), effects: &effects)
    }

    /// Gives back the slots `record` holds.
    mutating func releasePools(_ record: TaskRecord, effects: inout CoreEffects) {
        guard !record.pools.isEmpty else { return }
        for requirement in record.pools {
            pools[requirement.name]!.inUse -= requirement.slots
            report(.poolReleased(record.ref, pool: requirement.name, slots: requirement.slots))
        }
        tryGrant(record.pools.map(\.name), effects: &effects)
    }

    /// Grants slots to queue heads of `names` (and of every pool a grant touches) while possible.
    mutating func tryGrant(_ names: [String], effects: inout CoreEffects) {
        var work = names
        while let name = work.popLast() {
            while let head = firstWaiting(in: name) {
                let record = tasks[head]!
                let grantable = record.pools.allSatisfy { requirement in
                    firstWaiting(in: requirement.name) == head && pools[requirement.name]!.free >= requirement.slots
                }
                guard grantable else { break }
                let waited = record.poolWaitStart.map { $0.duration(to: clock.now()) } ?? .zero
                for requirement in record.pools {
                    pools[requirement.name]!.removeFirst()
                    pools[requirement.name]!.inUse += requirement.slots
                    report(.poolAcquired(record.ref, pool: requirement.name, slots: requirement.slots, waited: waited))
                    if requirement.name != name { work.append(requirement.name) }
                }
                enqueueForWorker(head, effects: &effects)
            }
        }
    }

    /// The oldest task still waiting in pool `name`'s queue, dropping entries of tasks that stopped waiting.
    private mutating func firstWaiting(in name: String) -> TaskID? {
        while let head = pools[name]!.first {
            if tasks[head]?.state == .waiting { return head }
            pools[name]!.removeFirst()
        }
        return nil
    }
}
