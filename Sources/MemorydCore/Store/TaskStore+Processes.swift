/// A command's process group as the queue records it: enough to find what is left of it after the daemon
/// died, and never to mistake someone else's processes for it.
struct ProcessGroupRecord: Sendable, Hashable {
    /// The group's id: the pid of the command the daemon started.
    let pgid: Int32
    /// That process's start time, in clock ticks after boot (`/proc/PID/stat` field 22): a reused pid
    /// has a later one.
    let startTicks: UInt64
    /// The kernel's boot id: after a reboot no process of the record can be alive.
    let bootID: String
}

extension TaskStore {
    /// Records, durably, that the attempt of task `storeID` runs in `group`; the command starts after this
    /// returns. The record is cleared when the task finishes; a later attempt overwrites it, and one of a
    /// group that has ended is harmless (nothing of it is found).
    ///
    /// - Throws: ``SQLiteError`` if it could not be recorded; the command must not run then.
    func recordProcessGroup(_ group: ProcessGroupRecord, of storeID: Int64) throws {
        _ = try write {
            try commits.perform { transaction in
                try transaction.execute(
                    "UPDATE tasks SET pgid = ?2, pgid_start = ?3, boot_id = ?4 WHERE id = ?1",
                    [
                        .integer(storeID), .integer(Int64(group.pgid)), .integer(Int64(bitPattern: group.startTicks)),
                        .text(group.bootID),
                    ])
                return []
            }
        }
    }
}
