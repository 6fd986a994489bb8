// The socket type constants (SOCK_DGRAM, SOCK_CLOEXEC) come through the module that owns <sys/socket.h>.
import CMicroHTTPD
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// systemd's notify protocol, written directly: one datagram per message to `$NOTIFY_SOCKET` (in the
/// abstract namespace when the path starts with `@`). Without `$NOTIFY_SOCKET` every call does nothing.
///
/// ```swift
/// let systemd = SystemdNotifier()
/// systemd.notify(.ready, status: "listening on 127.0.0.1:9477")
/// ```
public struct SystemdNotifier: Sendable {
    /// The messages memoryd sends.
    public enum State: Sendable {
        case ready, reloading, stopping, watchdog

        var assignment: String {
            switch self {
            case .ready: "READY=1"
            case .reloading: "RELOADING=1"
            case .stopping: "STOPPING=1"
            case .watchdog: "WATCHDOG=1"
            }
        }
    }

    /// The socket's path, `nil` when not started by systemd with `Type=notify`.
    public let socketPath: String?
    /// Half of `$WATCHDOG_USEC` (when it is meant for this process): how often to send `WATCHDOG=1`.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = SystemdNotifier.processEnvironment()) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 {
            watchdogInterval = .microseconds(microseconds / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `state` (and `STATUS=` when given) in one datagram; returns whether it was sent.
    @discardableResult
    public func notify(_ state: State?, status: String? = nil) -> Bool {
        var lines: [String] = []
        if let state {
            lines.append(state.assignment)
            // Type=notify-reload wants the time of the reload request with RELOADING=1.
            if state == .reloading { lines.append("MONOTONIC_USEC=\(Self.monotonicMicroseconds())") }
        }
        if let status { lines.append("STATUS=" + status.map { $0 == "\n" ? " " : String($0) }.joined()) }
        return send(lines.joined(separator: "\n"))
    }

    /// Sends `message` as it is.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath, let address = UnixSocketAddress(socketPath) else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array(message.utf8)
        let sent = address.withSockaddr { socketAddress, length in
            bytes.withUnsafeBytes {
                sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length)
            }
        }
        return sent == bytes.count
    }

    public static func processEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        return environment
    }

    private static func monotonicMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
