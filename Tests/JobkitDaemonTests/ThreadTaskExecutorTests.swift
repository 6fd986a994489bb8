import Foundation
import JobkitDaemon
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ThreadTaskExecutorTests {
    /// The name of the thread running the caller, as the kernel keeps it.
    static func currentThreadName() -> String {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// Whether a thread of this process has the name `name` now.
    static func threadExists(named name: String) -> Bool {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return threads.contains { thread in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(thread)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }
    }

    @Test func codeRunWithItsPreferenceRunsOnItsThreadAndChildTasksFollow() async {
        let executor = ThreadTaskExecutor(name: "executor-test")
        defer { executor.shutdown() }
        let names = await Task(executorPreference: executor) { () async -> [String] in
            let own = Self.currentThreadName()
            let child = await withTaskGroup(of: String.self) { group in
                group.addTask { Self.currentThreadName() }
                return await group.next() ?? ""
            }
            return [own, child]
        }.value
        #expect(names == ["executor-test", "executor-test"])
    }

    @Test func afterShutdownTheThreadEndsAndLaterWorkStillRuns() async throws {
        let executor = ThreadTaskExecutor(name: "executor-end")
        #expect(await Task(executorPreference: executor) { Self.currentThreadName() }.value == "executor-end")
        #expect(Self.threadExists(named: "executor-end"))
        executor.shutdown()
        let deadline = ContinuousClock.now + .seconds(10)
        while Self.threadExists(named: "executor-end"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!Self.threadExists(named: "executor-end"))
        // Enqueued after the end: run on the global executor instead of being lost.
        let name = await Task(executorPreference: executor) { Self.currentThreadName() }.value
        #expect(name != "executor-end")
    }
}
