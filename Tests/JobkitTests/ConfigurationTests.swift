import Jobkit
import Testing

struct ConfigurationTests {
    @Test func defaultsAreTheDocumentedOnes() {
        let configuration = SchedulerConfiguration()
        #expect(configuration.workerNames == ["worker-0", "worker-1", "worker-2", "worker-3"])
        #expect(configuration.pools.isEmpty)
        #expect(configuration.finishedTaskRetention == SchedulerConfiguration.defaultFinishedTaskRetention)
        let options = TaskOptions()
        #expect(options.retry == .none)
        #expect(options.timeout == nil)
        #expect(options.onDependencyFailure == .fail)
    }

    @Test(arguments: [
        (SchedulerConfiguration(workers: 0), "a scheduler needs at least one worker"),
        (SchedulerConfiguration(workerNames: ["a", "a"]), "worker name 'a' is used twice"),
        (SchedulerConfiguration(workerNames: ["a", ""]), "worker 1 has an empty name"),
        (SchedulerConfiguration(workers: 1, finishedTaskRetention: -1), "finished task retention -1 is negative"),
        (SchedulerConfiguration(workers: 1, pools: ["": 1]), "a pool has an empty name"),
    ])
    func invalidConfigurationsAreRejectedWithTheirReason(configuration: SchedulerConfiguration, message: String) {
        let error = jobError { _ = try Scheduler(configuration) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == message)
    }

    @Test func badTaskOptionsAreRejected() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        #expect(jobError { try scheduler.spawnBlocking("") { _ in } }?.code == .invalidConfiguration)
        let timeout = jobError { try scheduler.spawnBlocking("t", options: TaskOptions(timeout: .zero)) { _ in } }
        #expect(timeout?.message.contains("timeout") == true)
        #expect(scheduler.tasks().isEmpty)
    }

    @Test func errorsDescribeThemselves() {
        let error = JobError(.unknownPool, "task 'x' needs pool 'gpu'")
        #expect(error.description == "unknownPool: task 'x' needs pool 'gpu'")
        #expect(TaskError.retryable("busy").description == "busy")
    }
}
