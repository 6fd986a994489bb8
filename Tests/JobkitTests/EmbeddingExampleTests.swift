import Jobkit
import Testing

/// The example of docs/jobkit.md, verbatim between the markers, so the documentation keeps compiling and working.
func embeddingExample() async throws -> TaskOutcome {
    // BEGIN EXAMPLE
    let scheduler = try Scheduler(SchedulerConfiguration(workers: 4, pools: ["llm": 1]))
    let retry = RetryPolicy.retries(3, backoff: BackoffPolicy(initial: .seconds(5), maximum: .seconds(60)))

    let run = TaskGraph(correlationID: "nightly-2026-11-25")
    let extract = run.addBlocking("extract", options: TaskOptions(pools: ["llm": 1], retry: retry)) { ctx in
        ctx.progress(0.5, "half of the sessions read")
        // throw TaskError.retryable("model busy") here to try again after the backoff
    }
    let consolidate = run.add("consolidate", options: TaskOptions(timeout: .seconds(600))) { ctx in
        try await ctx.sleep(for: .milliseconds(10))
        ctx.log(.info, "merged", metadata: ["facts": 42])
    }
    let digest = run.addBlocking("digest", options: TaskOptions(onDependencyFailure: .skip)) { _ in }
    consolidate.dependOn(extract)
    digest.dependOn(consolidate)

    let events = scheduler.events.subscribe(consumer: "console")
    let outcome = try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await scheduler.run() }
        group.addTask {
            for await case .event(let event) in events {
                print(event.seq, event.kind, event.name ?? "", event.message ?? "")
            }
        }
        let handles = try scheduler.submit(run)
        let result = await handles[digest].result()
        scheduler.shutdown()  // drain: run() returns once every task has ended
        events.cancel()  // ends the printing loop
        try await group.waitForAll()
        return result.outcome
    }
    // END EXAMPLE
    return outcome
}

@Test(.timeLimit(.minutes(1)))
func theDocumentedEmbeddingExampleRuns() async throws {
    #expect(try await embeddingExample() == .succeeded)
}
