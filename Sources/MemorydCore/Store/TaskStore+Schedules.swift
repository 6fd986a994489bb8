import FoundationEssentials

extension TaskStore {
    /// When `job`'s schedule last fired (or began), or `nil` if it never has in this state directory.
    func lastFire(of job: String) throws -> Date? {
        let rows = try database.execute("SELECT fired_at FROM schedule_fires WHERE job = ?1", [.text(job)])
        return rows.first?[0].real.map(Date.init(timeIntervalSince1970:))
    }

    /// Remembers that `job`'s schedule fired (or began) at `time`.
    func recordFire(of job: String, at time: Date) throws {
        try write {
            try database.execute(
                "INSERT OR REPLACE INTO schedule_fires (job, fired_at) VALUES (?1, ?2)",
                [.text(job), .real(time.timeIntervalSince1970)])
        }
    }

    /// The jobs paused with `memoryd pause`, by name.
    func pausedJobs() throws -> Set<String> {
        Set(try database.execute("SELECT job FROM paused_jobs").compactMap { $0[0].text })
    }

    /// Remembers that `job` is paused (or no longer is).
    func setPaused(_ job: String, _ paused: Bool) throws {
        try write {
            if paused {
                try database.execute(
                    "INSERT OR IGNORE INTO paused_jobs (job, paused_at) VALUES (?1, ?2)",
                    [.text(job), .real(Date().timeIntervalSince1970)])
            } else {
                try database.execute("DELETE FROM paused_jobs WHERE job = ?1", [.text(job)])
            }
        }
    }
}
