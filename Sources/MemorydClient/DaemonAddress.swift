import JobkitSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a client command finds the daemon, and where the daemon listens by default: the same answer
/// for both, from the same environment variables.
public enum DaemonAddress {
    /// The TCP listener's default address, and where a client's reads go when no daemon answers on the
    /// socket.
    public static let defaultHTTP = "127.0.0.1:9477"

    /// The socket's file name inside the runtime directory.
    public static let socketName = "memoryd.sock"

    /// `$XDG_RUNTIME_DIR/memoryd.sock`, or `/tmp/memoryd-UID/memoryd.sock` when that is unset or empty,
    /// with each variable read by `variable`.
    public static func defaultSocketPath(variable: (String) -> String?) -> String {
        runtimeDirectory(variable: variable) + "/" + socketName
    }

    /// The runtime directory for the socket: `$XDG_RUNTIME_DIR`, or `/tmp/memoryd-UID` when it is unset
    /// or empty, the same for the daemon, every client command and `$XDG_RUNTIME_DIR` in a config.
    public static func runtimeDirectory(variable: (String) -> String?) -> String {
        if let runtime = variable("XDG_RUNTIME_DIR"), !runtime.isEmpty { return runtime }
        return fallbackRuntimeDirectory
    }

    /// `/tmp/memoryd-UID`: private to this user (0700), created by the daemon, refused if someone else
    /// made it first.
    public static var fallbackRuntimeDirectory: String { "/tmp/memoryd-\(getuid())" }

    /// The process's environment variable `name`, read without building the whole environment: the
    /// first `[String: String]` a process makes looks up `String: Hashable` in every protocol
    /// conformance of the binary, a visible part of a client command's start-up.
    public static func environmentVariable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// `socket`, else `$MEMORYD_SOCKET`, else ``defaultSocketPath(variable:)``.
    public static func socketPath(_ socket: String?) -> String {
        if let socket { return socket }
        if let fromEnvironment = environmentVariable("MEMORYD_SOCKET"), !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return defaultSocketPath(variable: environmentVariable)
    }

    /// `http`, else `$MEMORYD_HTTP`, else ``defaultHTTP``; `nil` when the one that applies is "".
    public static func httpAddress(_ http: String?) -> String? {
        let address = http ?? environmentVariable("MEMORYD_HTTP") ?? defaultHTTP
        return address.isEmpty ? nil : address
    }

    /// The client for `--socket` and `--http` as given (`nil` when absent): the socket, with reads
    /// falling back to TCP with `$MEMORYD_TOKEN`.
    public static func client(socket: String?, http: String?) -> DaemonClient {
        let token = environmentVariable("MEMORYD_TOKEN").flatMap { $0.isEmpty ? nil : $0 }
        return DaemonClient(
            socket: socketPath(socket),
            fallback: httpAddress(http).map { DaemonClient.TCPFallback(address: $0, token: token) })
    }
}
