import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import JobkitSupport
import MemorydClient
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
            "Where reads go when no daemon answers on the socket (default $MEMORYD_HTTP, else \(DaemonAddress.defaultHTTP); \"\" for the socket only). Task data on TCP needs $MEMORYD_TOKEN, the daemon's token.",
            valueName: "host:port"))
    var http: String?

    @Option(help: ArgumentHelp("State directory, for --offline (default $XDG_STATE_HOME/memoryd).", valueName: "dir"))
    var stateDir: String?

    var socketPath: String { DaemonAddress.socketPath(socket) }

    var stateDirectory: String { stateDir ?? DaemonSettings.defaultStateDirectory() }

    /// `--http`, else `$MEMORYD_HTTP`, else the daemon's default TCP address; `nil` when set to "".
    var httpAddress: String? { DaemonAddress.httpAddress(http) }

    /// A client of the socket whose reads fall back to TCP (with `$MEMORYD_TOKEN`).
    var client: DaemonClient { DaemonAddress.client(socket: socket, http: http) }
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
    do {
        try ClientCall.requireSuccess(response)
    } catch {
        throw ExitCode.failure(after: error)
    }
}

extension ExitCode {
    /// Exit status 1 for a client call whose failure is already on standard error.
    static func failure(after _: ReportedFailure) -> ExitCode { .failure }
}
