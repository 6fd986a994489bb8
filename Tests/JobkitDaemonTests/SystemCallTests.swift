import Foundation
import JobkitSupport
import Synchronization
import Testing

/// The shared system-call helpers, on real pipes and files.
struct SystemCallTests {
    @Test func writeAllCarriesALargeWriteThroughAPipeAndReadAllReadsItBack() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        // More than a pipe holds (64 KiB), so writes come back short and the reader must keep up.
        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let readEnd = ends[0]
        let received = Mutex<Result<[UInt8], SystemError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = SystemCall.readAll(readEnd)
            received.withLock { $0 = result }
            done.signal()
        }.start()
        #expect(SystemCall.writeAll(bytes, to: ends[1]) == nil)
        close(ends[1])
        #expect(done.wait(timeout: .now() + 30) == .success)
        close(ends[0])
        #expect(try received.withLock { $0 }?.get() == bytes)
    }

    @Test func writeAllSaysWhyAWriteFailed() {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        // The read end is closed, so the write fails with EPIPE. SIGPIPE is blocked for this thread's
        // write and taken back if it came, so it cannot end the test process.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var signal: Int32 = 0
                sigwait(&blocked, &signal)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            close(ends[1])
        }
        #expect(SystemCall.writeAll([1, 2, 3], to: ends[1]) == EPIPE)
    }

    @Test func readAllOfABadDescriptorIsAnError() {
        #expect(throws: SystemError(code: EBADF)) { try SystemCall.readAll(-1).get() }
    }
}
