import Foundation
import Testing

@testable import MemorydCore

/// The pieces that keep a task from running in two processes: commands die with the thread that started
/// them, a command does not run before its record is written, and leftovers of an earlier daemon are
/// found by their record (and only by it) and ended.
@Suite(.timeLimit(.minutes(1)))
struct ProcessGroupTests {
    func alive(_ pid: pid_t) -> Bool {
        guard let entry = ProcessTable.entry(of: pid) else { return false }
        return !entry.isZombie
    }

    @Test func aCommandDiesWithTheThreadThatStartedIt() async throws {
        let pid = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<pid_t, any Error>) in
            Thread {
                continuation.resume(
                    with: Result {
                        try SpawnedProcess(argv: ["sleep", "60"], environment: [:], workingDirectory: nil).pid
                    })
            }.start()
        }
        // The starting thread has ended: the kernel sends the death signal (SIGKILL).
        let end = ContinuousClock.now.advanced(by: .seconds(10))
        while alive(pid) && ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!alive(pid))
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(status & 0x7f == SIGKILL)
    }

    @Test func aCommandWhoseRecordFailsNeverRuns() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("ran-\(UUID().uuidString)").path
        struct NotRecorded: Error {}
        #expect(throws: NotRecorded.self) {
            try SpawnedProcess(argv: ["touch", marker], environment: [:], workingDirectory: nil) { _ in
                throw NotRecorded()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func leftoversOfARecordedGroupAreEndedAndOthersAreLeftAlone() throws {
        let run = "run-test-\(UUID().uuidString)"
        var recorded: pid_t = 0
        // A command that leaves a child in its group, as `sh -c "sleep 600 &"` does.
        let process = try SpawnedProcess(
            argv: ["sh", "-c", "sleep 60 & sleep 60 & echo started; wait"],
            environment: [
                "MEMORYD_RUN_ID": run, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ],
            workingDirectory: nil
        ) { pid in recorded = pid }
        defer { process.signalGroup(SIGKILL) }
        let start = try #require(ProcessTable.entry(of: recorded)?.startTicks)
        let group = LeftoverProcesses.Group(
            record: ProcessGroupRecord(pgid: recorded, startTicks: start, bootID: ProcessTable.bootID), run: run)
        let end = ContinuousClock.now.advanced(by: .seconds(10))
        while LeftoverProcesses.members(of: group, in: ProcessTable.entries()).count < 3 && ContinuousClock.now < end {
            usleep(20_000)
        }
        #expect(LeftoverProcesses.members(of: group, in: ProcessTable.entries()).count == 3)

        // A record whose leader started at another time is someone else's group now: untouched.
        let reused = LeftoverProcesses.Group(
            record: ProcessGroupRecord(pgid: recorded, startTicks: start + 1, bootID: ProcessTable.bootID), run: run)
        #expect(LeftoverProcesses.members(of: reused, in: ProcessTable.entries()).isEmpty)
        // So is one from another boot, or with another run's marker.
        let otherBoot = LeftoverProcesses.Group(
            record: ProcessGroupRecord(pgid: recorded, startTicks: start, bootID: "another-boot"), run: run)
        #expect(LeftoverProcesses.members(of: otherBoot, in: ProcessTable.entries()).isEmpty)
        let otherRun = LeftoverProcesses.Group(record: group.record, run: "run-else")
        #expect(LeftoverProcesses.members(of: otherRun, in: ProcessTable.entries()).isEmpty)

        let report = LeftoverProcesses(grace: .seconds(2)).terminate([group])
        #expect(report.found.count == 3)
        #expect(report.survivors.isEmpty)
        #expect(report.ended == [recorded])
        _ = process.wait()
        #expect(LeftoverProcesses.members(of: group, in: ProcessTable.entries()).isEmpty)
    }
}
