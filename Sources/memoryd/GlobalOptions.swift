import ArgumentParser
import Foundation
import MemorydCore

/// Options every client command shares: where the daemon is.
struct GlobalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's Unix socket (default $MEMORYD_SOCKET, else $XDG_RUNTIME_DIR/memoryd.sock).",
            valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("State directory, for --offline (default $XDG_STATE_HOME/memoryd).", valueName: "dir"))
    var stateDir: String?

    var socketPath: String {
        if let socket { return socket }
        if let fromEnvironment = ProcessInfo.processInfo.environment["MEMORYD_SOCKET"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return DaemonSettings.defaultSocketPath()
    }

    var stateDirectory: String { stateDir ?? DaemonSettings.defaultStateDirectory() }

    var client: DaemonClient { DaemonClient(socket: socketPath) }
}

/// Writes `text` and a newline to standard output at once (unbuffered, so `events --follow` shows each
/// event as it arrives, also through a pipe).
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Writes `text` to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Fails with the API's error message when the daemon answered with an error status.
func requireSuccess(_ response: DaemonClient.Response) throws {
    guard (200..<300).contains(response.status) else {
        let answer = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let message =
            (answer?["error"] as? [String: Any])?["message"] as? String
            ?? String(decoding: response.body, as: UTF8.self)
        printError("memoryd: \(message) (HTTP \(response.status))")
        throw ExitCode.failure
    }
}
