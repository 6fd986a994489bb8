import Foundation
import JobkitDaemon
import Testing

struct InstanceLockTests {
    @Test func aSecondHolderIsRefusedWithTheFirstsPidAndTheLockFreesOnRelease() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var first: InstanceLock? = try InstanceLock(path: path)
        #expect(InstanceLock.holder(of: path) == getpid())
        do {
            _ = try InstanceLock(path: path)
            Issue.record("a second lock on \(path) was granted")
        } catch let error as DaemonError {
            #expect(error.code == .alreadyRunning)
            #expect(error.message.contains("pid \(getpid())"))
        }
        withExtendedLifetime(first) {}
        first = nil
        // Free once released. A process another test forks in this same test process holds a copy of
        // every descriptor until it closes them before exec, so allow for that moment on a loaded machine.
        let end = ContinuousClock.now.advanced(by: .seconds(conditionDeadline))
        var again: InstanceLock?
        while again == nil, ContinuousClock.now < end {
            again = try? InstanceLock(path: path)
            if again == nil { usleep(10_000) }
        }
        #expect(again != nil, "the lock was still held \(conditionDeadline) s after its release")
    }
}
