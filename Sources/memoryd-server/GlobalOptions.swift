import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import MemorydCore

/// Options every client command shares: where the daemon is.
struct GlobalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's Unix socket (default $MEMORYD_SOCKET, else $XDG_RUNTIME_DIR/memoryd.sock, or /tmp/memoryd-UID/memoryd.sock without XDG_RUNTIME_DIR).",
            valueName: "path"))
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "Where reads go when no daemon answers on the socket (default $MEMORYD_HTTP, else \(DaemonSettings.defaultHTTP); \"\" for the socket only). Task data on TCP needs $MEMORYD_TOKEN, the daemon's token.",
            valueName: "host:port"))
    var http: String?

    @Option(help: ArgumentHelp("State directory, for --offline (default $XDG_STATE_HOME/memoryd).", valueName: "dir"))
    var stateDir: String?

    var socketPath: String { Self.socketPath(socket) }

    var stateDirectory: String { stateDir ?? DaemonSettings.defaultStateDirectory() }

    /// `--http`, else `$MEMORYD_HTTP`, else the daemon's default TCP address; `nil` when set to "".
    var httpAddress: String? { Self.httpAddress(http) }

    /// A client of the socket whose reads fall back to TCP (with `$MEMORYD_TOKEN`).
    var client: DaemonClient { Self.client(socket: socket, http: http) }

    /// The client for `--socket` and `--http` as given (`nil` when absent).
    static func client(socket: String?, http: String?) -> DaemonClient {
        // Read one by one (Paths.environmentVariable): this is on the path of every client command.
        let token = Paths.environmentVariable("MEMORYD_TOKEN").flatMap { $0.isEmpty ? nil : $0 }
        return DaemonClient(
            socket: socketPath(socket),
            fallback: httpAddress(http).map { DaemonClient.TCPFallback(address: $0, token: token) })
    }

    private static func socketPath(_ socket: String?) -> String {
        if let socket { return socket }
        if let fromEnvironment = Paths.environmentVariable("MEMORYD_SOCKET"), !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return DaemonSettings.defaultSocketPath(variable: Paths.environmentVariable)
    }

    private static func httpAddress(_ http: String?) -> String? {
        let address = http ?? Paths.environmentVariable("MEMORYD_HTTP") ?? DaemonSettings.defaultHTTP
        return address.isEmpty ? nil : address
    }
}

/// Writes `text` and a newline to standard output at once (unbuffered, so `events --follow` shows each
/// event as it arrives, also through a pipe).
func printLine(_ text: String) {
    StandardStreams.output(text + "\n")
}

/// Writes `text` to standard error.
func printError(_ text: String) {
    StandardStreams.error(text.hasSuffix("\n") ? text : text + "\n")
}

/// Fails with the API's error message when the daemon answered with an error status.
func requireSuccess(_ response: DaemonClient.Response) throws {
    guard (200..<300).contains(response.status) else {
        struct Answer: Decodable {
            struct Detail: Decodable { var message: String }
            var error: Detail
        }
        let message =
            (try? WireJSON.decode(Answer.self, from: response.body))?.error.message
            ?? String(decoding: response.body, as: UTF8.self)
        printError("memoryd: \(message) (HTTP \(response.status))")
        throw ExitCode.failure
    }
}
