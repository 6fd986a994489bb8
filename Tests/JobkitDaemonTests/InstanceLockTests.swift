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
        #expect(throws: Never.self) { _ = try InstanceLock(path: path) }
    }
}
