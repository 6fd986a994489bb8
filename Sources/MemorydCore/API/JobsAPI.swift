import FoundationEssentials
import Jobkit
import JobkitDaemon

/// `POST /v1/jobs/{name}/pause` and `/resume`: hold a job's tasks (and, with `paused_triggers =
/// "drop"`, its triggers) until resumed, across restarts.
struct JobsAPI: Sendable {
    let scheduler: Scheduler
    let config: ConfigState
    let store: TaskStore

    /// Applies the pauses recorded in the queue, before anything is resumed or started.
    static func restore(store: TaskStore, scheduler: Scheduler) throws {
        for job in try store.pausedJobs() { scheduler.pause(jobType: job) }
    }

    /// Pauses or resumes the job the path names.
    func set(_ request: HTTPRequest, paused: Bool) -> HTTPResponse {
        let name = request.pathParameters["name"] ?? ""
        let jobs = config.pipeline?.config.jobs.map(\.name) ?? []
        guard jobs.contains(name) else {
            return .error(
                404, code: "unknown_job",
                message: "no job named '\(name)'" + Suggestion.phrase(for: name, among: jobs)
                    + (jobs.isEmpty ? " (no config loaded)" : "; jobs: \(jobs.joined(separator: ", "))"))
        }
        do {
            // Recorded first: a pause that is not durable would end at the next restart.
            try store.setPaused(name, paused)
        } catch {
            return .error(503, code: "store_unavailable", message: "the queue cannot record it (\(error)); nothing changed")
        }
        if paused { scheduler.pause(jobType: name) } else { scheduler.resume(jobType: name) }
        let waiting = scheduler.tasks().filter { $0.jobType == name && $0.state == .pending }.count
        struct Answer: Encodable {
            var job: String
            var paused: Bool
            /// Tasks of the job waiting now (held while it is paused).
            var pendingTasks: Int
        }
        return .encoded(Answer(job: name, paused: paused, pendingTasks: waiting))
    }
}
