import Jobkit
import Synchronization

extension PipelineRunner {
    /// A run to start: a job of the config (the run is it and everything downstream) and its parameters.
    public struct Submission: Sendable, Hashable {
        public var job: String
        public var parameters: [String: String]

        public init(job: String, parameters: [String: String] = [:]) {
            self.job = job
            self.parameters = parameters
        }
    }

    /// A run about to start: its id and its jobs in an order where upstream jobs come first.
    struct PlannedRun {
        let id: String
        let submission: Submission
        let jobs: [(name: String, dependsOn: [String])]
    }

    /// Starts a run for each submission, recording them all durably in one commit first when there is a
    /// store; returns each submission's run, or why it was refused, in order.
    ///
    /// A submission of a `unique` job is refused with ``DuplicateRun`` when an equal run is pending or
    /// running, or an earlier submission of the same batch is equal to it; one the scheduler no longer
    /// takes with its ``JobError`` (`.shutDown`). The others start.
    ///
    /// - Throws: ``JobError`` `.unknownTask` for a job the config does not have, or the store's error if
    ///   the runs could not be recorded. Then none was started.
    public func startRuns(_ submissions: [Submission]) throws -> [Result<Run, any Error>] {
        for submission in submissions where config.job(submission.job) == nil {
            throw JobError(.unknownTask, "no job named '\(submission.job)' in \(config.file)")
        }
        let planned = submissions.map(plan)
        let keys = submissions.map { uniqueKey(of: $0.job, parameters: $0.parameters) }
        guard keys.contains(where: { $0 != nil }) else { return try start(planned) }
        // Checked and started under one lock, so two equal submits cannot both pass the check.
        return try uniqueRuns.withLock { (runs: inout [String: Run]) throws -> [Result<Run, any Error>] in
            runs = runs.filter { !$0.value.isFinished }
            var refusals: [Int: DuplicateRun] = [:]
            var firstOfKey: [String: Int] = [:]
            for (index, key) in keys.enumerated() {
                guard let key else { continue }
                let job = submissions[index].job
                if let existing = runs[key] {
                    refusals[index] = DuplicateRun(job: job, run: existing.id)
                } else if let earlier = firstOfKey[key] {
                    refusals[index] = DuplicateRun(job: job, run: planned[earlier].id)
                } else {
                    firstOfKey[key] = index
                }
            }
            let accepted = planned.indices.filter { refusals[$0] == nil }
            var started = try start(accepted.map { planned[$0] }).makeIterator()
            let results = planned.indices.map { index -> Result<Run, any Error> in
                if let refusal = refusals[index] { return .failure(refusal) }
                return started.next()!
            }
            for (key, index) in firstOfKey {
                if case .success(let run) = results[index] { runs[key] = run }
            }
            return results
        }
    }
}
