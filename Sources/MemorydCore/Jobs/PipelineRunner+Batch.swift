import Jobkit
import JobkitSupport
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
    struct PlannedRun: Sendable {
        let id: String
        let submission: Submission
        let jobs: [(name: String, dependsOn: [String])]

        /// The run as the store records it.
        var newRun: TaskStore.NewRun { (id, jobs, submission.parameters) }
    }

    /// What ``startRuns(_:then:)`` hands over once its runs are durable: submits them and returns what
    /// ``startRuns(_:)`` returns, or throws what it throws.
    public typealias RecordedRuns = @Sendable () throws -> [Result<Run, any Error>]

    /// Starts runs as ``startRuns(_:)`` does, without waiting for their commit: `then` is called once
    /// they are durable (or could not be recorded), on the queue's committer thread, with the function
    /// that submits them. Call that function where a short wait is allowed (an HTTP thread), not on the
    /// committer's. Without a store, or for a job the config does not have, `then` is called at once on
    /// the caller's thread.
    ///
    /// Submissions of `unique` jobs are checked and started under one lock held across their commit, so
    /// a batch with any is started as ``startRuns(_:)`` on a thread of its own.
    public func startRuns(
        _ submissions: [Submission], then: @escaping @Sendable (_ started: @escaping RecordedRuns) -> Void
    ) {
        let unique = submissions.contains { uniqueKey(of: $0.job, parameters: $0.parameters) != nil }
        let known = submissions.allSatisfy { config.job($0.job) != nil }
        guard let store, known, !unique else {
            let startNow: @Sendable () -> Void = { [self] in
                let result = Result { try startRuns(submissions) }
                then { try result.get() }
            }
            if store == nil || !known { startNow() } else { NamedThread.start(name: "submit-unique", startNow) }
            return
        }
        let planned = submissions.map(plan)
        store.recordRuns(planned.map(\.newRun), ids: reserveIDs(for: planned)) { [self] recorded in
            then { self.submitRecorded(planned, storeIDs: try recorded.get()) }
        }
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
