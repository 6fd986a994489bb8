import Foundation
import JobkitDaemon
import Testing

/// The notify protocol against a datagram socket of the test's own, in the abstract namespace as systemd
/// can use it, and the environment it reads.
struct SystemdNotifierTests {
    /// Binds an abstract `AF_UNIX` datagram socket named `name` (without the leading NUL).
    func abstractSocket(_ name: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = [UInt8(0)] + Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }

    func receive(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    @Test func messagesReachAnAbstractSocketAsOneDatagramEach() throws {
        let name = "memoryd-test-\(UUID().uuidString)"
        let descriptor = try abstractSocket(name)
        defer { close(descriptor) }
        let systemd = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])
        #expect(systemd.notify(.ready, status: "listening on 127.0.0.1:9477\nand more"))
        #expect(receive(descriptor) == "READY=1\nSTATUS=listening on 127.0.0.1:9477 and more")
        #expect(systemd.notify(.stopping))
        #expect(receive(descriptor) == "STOPPING=1")
        #expect(systemd.notify(.reloading))
        #expect(receive(descriptor)?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
    }

    @Test func withoutANotifySocketNothingIsSentAndTheWatchdogIntervalIsHalfItsSetting() {
        #expect(!SystemdNotifier(environment: [:]).notify(.ready))
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]).watchdogInterval == .seconds(15))
        let forUs = ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(getpid())"]
        #expect(SystemdNotifier(environment: forUs).watchdogInterval == .seconds(1))
        // A watchdog meant for another process (our parent, say) is not ours to pet.
        let forOther = ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(getppid())"]
        #expect(SystemdNotifier(environment: forOther).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "zero"]).watchdogInterval == nil)
    }
}
