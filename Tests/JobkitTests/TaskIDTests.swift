import Jobkit
import JobkitTesting
import Synchronization
import Testing

/// Task ids a persistent queue can keep: a first id, reserved ids, and ids given with the task.
@Suite(.timeLimit(.minutes(1)))
struct TaskIDTests {
    @Test func idsStartAtTheConfiguredFirstAndReservedOnesAreNeverGivenAgain() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1, firstTaskID: 500))
        let first = try scheduler.spawn("a") { _ in }
        #expect(first.id == TaskID(rawValue: 500))
        let reserved = scheduler.reserveTaskIDs(3)
        #expect(reserved.map(\.rawValue) == [501, 502, 503])
        #expect(scheduler.reserveTaskIDs(0).isEmpty)
        let next = try scheduler.spawn("b") { _ in }
        #expect(next.id == TaskID(rawValue: 504))
        #expect(
            jobError { _ = try Scheduler(SchedulerConfiguration(workers: 1, firstTaskID: 0)) }?.code
                == .invalidConfiguration)
        // Skipping moves the next id past the given one, never back.
        scheduler.skipTaskIDs(through: 600)
        #expect(scheduler.reserveTaskIDs(1).map(\.rawValue) == [601])
        scheduler.skipTaskIDs(through: 10)
        #expect(try scheduler.spawn("c") { _ in }.id == TaskID(rawValue: 602))
    }

    @Test func aGraphsTasksTakeTheirGivenIdsAndKeepTheirDependencies() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 2, firstTaskID: 100))
        let order = Mutex<[String]>([])
        try await withRunningScheduler(scheduler) { scheduler in
            let graph = TaskGraph(correlationID: "run-kept")
            // An id from an earlier process (below the first), one reserved now, and one left to the scheduler.
            let reserved = scheduler.reserveTaskIDs(1)[0]
            let extract = graph.addBlocking("extract", options: TaskOptions(id: TaskID(rawValue: 42))) { _ in
                order.withLock { $0.append("extract") }
            }
            let load = graph.addBlocking("load", options: TaskOptions(id: reserved)) { _ in
                order.withLock { $0.append("load") }
            }
            let report = graph.addBlocking("report") { _ in order.withLock { $0.append("report") } }
            load.dependOn(extract)
            report.dependOn(load)
            let handles = try scheduler.submit(graph)
            #expect(handles[extract].id == TaskID(rawValue: 42))
            #expect(handles[load].id == reserved)
            #expect(handles[report].id == TaskID(rawValue: 101))
            for handle in handles.all { #expect(await handle.result().outcome == .succeeded) }
            #expect(order.withLock { $0 } == ["extract", "load", "report"])
            #expect(try scheduler.status(of: TaskID(rawValue: 42)).name == "extract")
        }
    }

    @Test func anIdAnotherTaskHasIsRefused() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let taken = try scheduler.spawn("first", options: TaskOptions(id: TaskID(rawValue: 7))) { _ in }
        #expect(taken.id == TaskID(rawValue: 7))
        let again = jobError {
            _ = try scheduler.spawn("second", options: TaskOptions(id: TaskID(rawValue: 7))) { _ in }
        }
        #expect(again?.code == .taskIDInUse)
        #expect(again?.message.contains("t7") == true)

        let graph = TaskGraph()
        graph.addBlocking("x", options: TaskOptions(id: TaskID(rawValue: 8))) { _ in }
        graph.addBlocking("y", options: TaskOptions(id: TaskID(rawValue: 8))) { _ in }
        #expect(jobError { _ = try scheduler.submit(graph) }?.code == .taskIDInUse)
        // Nothing of a refused graph was taken in.
        #expect(
            try scheduler.spawn("z", options: TaskOptions(id: TaskID(rawValue: 8))) { _ in }.id == TaskID(rawValue: 8))
    }
}
