import Jobkit
import JobkitTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct DependencyTests {
    @Test func dependantsRunAfterTheirDependencies() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 4))
        let order = Mutex<[String]>([])
        try await withRunningScheduler(scheduler) { scheduler in
            let graph = TaskGraph(correlationID: "run-1")
            func step(_ name: String) -> TaskGraph.Node {
                graph.addBlocking(name) { _ in order.withLock { $0.append(name) } }
            }
            let extract = step("extract")
            let consolidate = step("consolidate")
            let digest = step("digest")
            let knowledge = step("knowledge")
            consolidate.dependOn(extract)
            digest.dependOn(consolidate)
            knowledge.dependOn(consolidate)
            let handles = try scheduler.submit(graph)
            for handle in handles.all { #expect(await handle.result().outcome == .succeeded) }
            let ran = order.withLock { $0 }
            #expect(ran.first == "extract")
            #expect(ran[1] == "consolidate")
            #expect(Set(ran[2...]) == ["digest", "knowledge"])
            #expect(try scheduler.status(of: handles[digest].id).correlationID == "run-1")
        }
    }

    @Test func aCycleIsRejectedNamingItsTasks() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let graph = TaskGraph()
        let a = graph.addBlocking("a") { _ in }
        let b = graph.addBlocking("b") { _ in }
        let c = graph.addBlocking("c") { _ in }
        let outside = graph.addBlocking("outside") { _ in }
        b.dependOn(a)
        c.dependOn(b)
        a.dependOn(c)
        outside.dependOn(a)
        let error = jobError { _ = try scheduler.submit(graph) }
        #expect(error?.code == .dependencyCycle)
        let message = error?.message ?? ""
        #expect(message.contains("'a'") && message.contains("'b'") && message.contains("'c'"))
        #expect(!message.contains("outside"))
        #expect(scheduler.tasks().isEmpty, "a rejected graph submits nothing")
    }

    @Test func aTaskDependingOnItselfIsACycle() throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        let graph = TaskGraph()
        let loner = graph.addBlocking("loner") { _ in }
        loner.dependOn(loner)
        let error = jobError { _ = try scheduler.submit(graph) }
        #expect(error?.code == .dependencyCycle)
        #expect(error?.message.contains("'loner' → 'loner'") == true)
    }

    @Test(arguments: [
        (DependencyFailurePolicy.fail, TaskOutcome.failed),
        (.skip, .skipped),
        (.ignore, .succeeded),
    ])
    func aFailedDependencyAppliesTheDependantsPolicy(policy: DependencyFailurePolicy, expected: TaskOutcome)
        async throws
    {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 2))
        try await withRunningScheduler(scheduler) { scheduler in
            let broken = try scheduler.spawnBlocking("broken") { _ in throw TaskError.fatal("disk full") }
            let dependant = try scheduler.spawnBlocking(
                "dependant", options: TaskOptions(dependsOn: [broken], onDependencyFailure: policy)
            ) { _ in }
            let grandchild = try scheduler.spawnBlocking("grandchild", options: TaskOptions(dependsOn: [dependant])) {
                _ in
            }

            #expect(await broken.result() == TaskResult(outcome: .failed, attempts: 1, error: "disk full"))
            let result = await dependant.result()
            #expect(result.outcome == expected)
            #expect(result.attempts == (expected == .succeeded ? 1 : 0))
            if expected != .succeeded {
                #expect(result.error?.contains("'broken'") == true)
                #expect(await grandchild.result().outcome == .failed, "default policy fails the next level too")
            } else {
                #expect(await grandchild.result().outcome == .succeeded)
            }
        }
    }

    @Test func dependingOnAnAlreadyFailedTaskSettlesAtOnce() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        try await withRunningScheduler(scheduler) { scheduler in
            let broken = try scheduler.spawnBlocking("broken") { _ in throw TaskError.fatal("no") }
            _ = await broken.result()
            let late = try scheduler.spawnBlocking(
                "late", options: TaskOptions(dependsOn: [broken], onDependencyFailure: .skip)
            ) { _ in }
            #expect(await late.result().outcome == .skipped)
        }
    }

    @Test func aFailureInsideAGraphReachesEveryLaterNode() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1))
        try await withRunningScheduler(scheduler) { scheduler in
            let broken = try scheduler.spawnBlocking("broken") { _ in throw TaskError.fatal("no") }
            _ = await broken.result()
            let graph = TaskGraph()
            let first = graph.addBlocking("first") { _ in }
            let second = graph.addBlocking("second") { _ in }
            let third = graph.addBlocking("third") { _ in }
            // Added in reverse so submission has to order them.
            third.dependOn(second)
            second.dependOn(first)
            first.dependOn(broken)
            let handles = try scheduler.submit(graph)
            for handle in handles.all { #expect(await handle.result().outcome == .failed) }
        }
    }

    @Test func graphHandlesFollowTheNodesNotTheSubmissionOrder() async throws {
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 2))
        try await withRunningScheduler(scheduler) { scheduler in
            let graph = TaskGraph()
            let last = graph.addBlocking("last") { _ in }
            let middle = graph.addBlocking("middle") { _ in }
            let first = graph.addBlocking("first") { _ in }
            last.dependOn(middle)
            middle.dependOn(first)
            let handles = try scheduler.submit(graph)
            #expect(handles.all.map(\.name) == ["last", "middle", "first"])
            #expect([handles[first].name, handles[middle].name, handles[last].name] == ["first", "middle", "last"])
            #expect(try scheduler.status(of: handles[last].id).dependsOn == [handles[middle].id])
            for handle in handles.all { _ = await handle.result() }
        }
    }

    @Test func dependingOnAnotherSchedulersTaskIsAnError() async throws {
        let ours = try Scheduler(SchedulerConfiguration(workers: 1))
        let theirs = try Scheduler(SchedulerConfiguration(workers: 1))
        let foreign = try theirs.spawnBlocking("theirs") { _ in }
        let error = jobError {
            try ours.spawnBlocking("ours", options: TaskOptions(dependsOn: [foreign])) { _ in }
        }
        #expect(error?.code == .foreignTask)
        #expect(error?.message.contains("'ours'") == true)
        #expect(error?.message.contains("theirs") == true)

        let graph = TaskGraph()
        let other = TaskGraph()
        let node = graph.addBlocking("node") { _ in }
        node.dependOn(other.addBlocking("stranger") { _ in })
        #expect(jobError { _ = try ours.submit(graph) }?.code == .foreignTask)
    }
}
