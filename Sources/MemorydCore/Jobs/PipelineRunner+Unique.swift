import Jobkit
import Synchronization

extension PipelineRunner {
    /// A run of a `unique` job refused because an equal one is pending or running.
    public struct DuplicateRun: Error, CustomStringConvertible, Sendable {
        public var job: String
        /// The equal run's id.
        public var run: String
        public var description: String { "an equal run of \(job) is pending or running: \(run)" }
    }

    /// What makes runs of `job` equal under its `unique` setting, or `nil` when it has none.
    func uniqueKey(of job: String, parameters: [String: String]) -> String? {
        guard let unique = config.job(job)?.unique else { return nil }
        let names =
            switch unique {
            case .allParameters: parameters.keys.sorted()
            case .parameters(let names): names
            }
        // NUL cannot occur in a TOML key or a JSON string a submit passes through the API.
        return ([job] + names.map { "\($0)=\(parameters[$0] ?? "")" }).joined(separator: "\u{0}")
    }

    /// Counts a resumed run of a `unique` job, so an equal submit after a restart is refused too.
    func registerUnique(_ run: Run, job: String, parameters: [String: String]) {
        guard let key = uniqueKey(of: job, parameters: parameters) else { return }
        uniqueRuns.withLock { $0[key] = run }
    }
}

extension PipelineRunner.Run {
    /// Whether every task of the run has finished.
    var isFinished: Bool { tasks.values.allSatisfy { $0.finishedResult != nil } }
}
