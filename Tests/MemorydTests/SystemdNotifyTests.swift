import Foundation
import Synchronization
import Testing

/// The daemon speaks systemd's notify protocol to a datagram socket of the test's own, as systemd would
/// listen: READY=1 with a status, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 then READY=1 on
/// SIGHUP, and STOPPING=1 on SIGTERM.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SystemdNotifyTests {
    /// A bound `AF_UNIX` datagram socket collecting what is sent to it.
    final class NotifySocket: @unchecked Sendable {
        // @unchecked: `descriptor` is immutable; `received` is guarded by its Mutex.
        let path: String
        let descriptor: Int32
        let received = Mutex<[String]>([])

        init(path: String) throws {
            self.path = path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = recv(descriptor, &buffer, buffer.count, 0)
                    if count > 0 {
                        let message = String(decoding: buffer[0..<count], as: UTF8.self)
                        received.withLock { $0.append(message) }
                    } else if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
                        return
                    }
                }
            }.start()
        }

        var messages: [String] { received.withLock { $0 } }

        func close() {
            shutdown(descriptor, Int32(SHUT_RDWR))
            Glibc.close(descriptor)
            unlink(path)
        }
    }

    @Test func theDaemonTellsSystemdWhatItIsDoing() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString)").path
        let listener = try NotifySocket(path: path)
        defer { listener.close() }
        let daemon = try DaemonProcess(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"])
        _ = try await daemon.waitForPort()

        let ready = try await poll("READY=1", deadline: .seconds(30)) {
            listener.messages.first { $0.hasPrefix("READY=1\nSTATUS=listening on ") }
        }
        #expect(ready.contains("; 0 jobs"))
        // WATCHDOG_USEC is 1 s, so pings come every half second while the daemon's watchdogs are fine.
        _ = try await poll("two WATCHDOG=1", deadline: .seconds(30)) {
            listener.messages.filter { $0 == "WATCHDOG=1" }.count >= 2 ? true : nil
        }

        kill(daemon.process.processIdentifier, SIGHUP)
        let reload = try await poll("RELOADING=1 then READY=1", deadline: .seconds(30)) { () -> [String]? in
            let messages = listener.messages.filter { $0 != "WATCHDOG=1" }
            guard let reloading = messages.firstIndex(where: { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") }),
                messages[(reloading + 1)...].contains(where: { $0.hasPrefix("READY=1") })
            else { return nil }
            return messages
        }
        #expect(reload.count >= 3)
        #expect(try await daemon.terminate() == 0)
        #expect(listener.messages.contains { $0.hasPrefix("STOPPING=1") })
    }
}
