import FoundationEssentials
import Jobkit
import Synchronization

/// The config the daemon runs now, and reloading it (SIGHUP or `POST /v1/reload`).
///
/// A reload reads and validates the whole file first. A file with errors is refused with their
/// locations and the running config stays; so is one that changes the pools, which the scheduler fixes
/// at start (restart for that). Either way the outcome is an event on the stream: `config_reloaded` or
/// `config_rejected`.
final class ConfigState: Sendable {
    /// The file the daemon was started with; `nil` without `--config`.
    let path: String?
    let scheduler: Scheduler
    /// The persistent queue every pipeline records its runs in.
    let store: TaskStore?
    private let runner: Mutex<PipelineRunner?>
    /// Yields after each successful reload, so the schedules restart with the new jobs.
    let reloads: AsyncStream<Void>
    private let reloaded: AsyncStream<Void>.Continuation

    static let reloadedKind = EventKind("config_reloaded")
    static let rejectedKind = EventKind("config_rejected")

    /// Takes up a new config beside the pipeline (the health rules); throwing refuses the reload.
    private let applyElsewhere: @Sendable (MemorydConfig) throws -> Void

    init(
        path: String?, config: MemorydConfig?, scheduler: Scheduler, store: TaskStore? = nil,
        applyElsewhere: @escaping @Sendable (MemorydConfig) throws -> Void = { _ in }
    ) {
        self.path = path
        self.scheduler = scheduler
        self.store = store
        self.applyElsewhere = applyElsewhere
        self.runner = Mutex(config.map { PipelineRunner(config: $0, scheduler: scheduler, store: store) })
        (reloads, reloaded) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The pipeline of the current config.
    var pipeline: PipelineRunner? { runner.withLock { $0 } }

    /// The outcome of a reload, as the API reports it.
    enum Outcome {
        case reloaded(MemorydConfig)
        case rejected(String)
        case noConfig

        var succeeded: Bool {
            if case .reloaded = self { return true }
            return false
        }
    }

    /// Reads the config file again and switches to it if it is valid and keeps the pools.
    func reload() -> Outcome {
        guard let path else { return .noConfig }
        let outcome: Outcome
        do {
            let fresh = try MemorydConfig.load(path: path)
            let before = pipeline?.config.pools.map { "\($0.name)=\($0.slots)" } ?? []
            let after = fresh.pools.map { "\($0.name)=\($0.slots)" }
            if before.sorted() != after.sorted() {
                outcome = .rejected(
                    "\(path): pools changed (\(before.sorted().joined(separator: ", ")) → \(after.sorted().joined(separator: ", "))); pools are fixed at start, restart memoryd to change them"
                )
            } else {
                try applyElsewhere(fresh)
                runner.withLock { $0 = PipelineRunner(config: fresh, scheduler: scheduler, store: store) }
                reloaded.yield()
                outcome = .reloaded(fresh)
            }
        } catch {
            outcome = .rejected("\(error)")
        }
        switch outcome {
        case .reloaded(let config):
            scheduler.events.publish(
                JobEvent(
                    kind: Self.reloadedKind, message: "\(path): \(config.jobs.count) jobs, \(config.pools.count) pools")
            )
        case .rejected(let reason):
            scheduler.events.publish(JobEvent(kind: Self.rejectedKind, error: reason))
        case .noConfig:
            break
        }
        return outcome
    }

    /// Runs the current config's triggers (schedules and sources), restarting them after each reload,
    /// until cancelled.
    ///
    /// - Parameter executor: where the triggers run. Starting a run waits for the queue's commit and a
    ///   scan lists directories, so the daemon gives them a thread of their own (``ThreadTaskExecutor``)
    ///   rather than let them hold threads of the cooperative pool.
    func runTriggers(
        on executor: (any TaskExecutor)? = nil, scanInterval: Duration = SourceWatcher.defaultScanInterval,
        onError: @escaping @Sendable (String) -> Void
    ) async {
        var triggers = startTriggers(on: executor, scanInterval: scanInterval, onError: onError)
        // Iteration ends when the calling task is cancelled.
        for await _ in reloads {
            triggers.cancel()
            triggers = startTriggers(on: executor, scanInterval: scanInterval, onError: onError)
        }
        triggers.cancel()
    }

    private func startTriggers(
        on executor: (any TaskExecutor)?, scanInterval: Duration, onError: @escaping @Sendable (String) -> Void
    ) -> Task<Void, Never> {
        let current = pipeline
        let store = store
        return Task(executorPreference: executor) {
            guard let current else { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await current.runSchedules(onError: onError) }
                if let store, !current.config.sources.isEmpty {
                    let watcher = SourceWatcher(pipeline: current, store: store, scanInterval: scanInterval)
                    group.addTask { await watcher.run(onError: onError) }
                }
            }
        }
    }
}
