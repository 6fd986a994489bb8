import JobkitSupport
import MemorydClient

/// The calls scripts make in loops, `memoryd submit JOB …` and `memoryd --version`, read by hand.
///
/// Their plain forms are answered by this small binary with the same code memoryd-server's `submit`
/// runs (``SubmitCall``). Anything else (help, a flag this does not know, a missing value, a value
/// that looks like an option, a malformed `--param`, `--batch`, every other command) is left to
/// memoryd-server's full parse, so errors, help and every other command behave exactly as there.
enum FastPath {
    /// What the plain form of `arguments` (without the program name) runs, or `nil` to parse them fully.
    static func command(_ arguments: [String]) -> (() throws(ReportedFailure) -> Void)? {
        if arguments == ["--version"] { return { StandardStreams.output(MemorydVersion.current + "\n") } }
        guard arguments.first == "submit" else { return nil }
        return submit(arguments.dropFirst())
    }

    /// `submit` with `--socket`, `--http`, `--state-dir`, `--param` (each as `--name value` or
    /// `--name=value`), `--json` and one job.
    static func submit(_ arguments: ArraySlice<String>) -> (() throws(ReportedFailure) -> Void)? {
        var job: String?
        var socket: String?
        var http: String?
        var parameters: [String] = []
        var json = false
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("-") else {
                guard job == nil, !argument.isEmpty else { return nil }
                job = argument
                continue
            }
            if argument == "--json" {
                json = true
                continue
            }
            let (name, inline) = split(argument)
            guard ["--socket", "--http", "--state-dir", "--param"].contains(name) else { return nil }
            let value: String
            if let inline {
                value = inline
            } else {
                guard let next = rest.popFirst(), !next.hasPrefix("-") else { return nil }
                value = next
            }
            switch name {
            case "--socket": socket = value
            case "--http": http = value
            case "--state-dir": continue  // only for --offline, which submit does not have
            default:
                parameters.append(value)
            }
        }
        // A malformed `--param` is refused by the full parse, with submit's usage.
        guard let job, let pairs = try? SubmitCall.parameters(parameters) else { return nil }
        return { () throws(ReportedFailure) in
            try SubmitCall.run(
                job, parameters: pairs, json: json, client: DaemonAddress.client(socket: socket, http: http))
        }
    }

    /// `--name=value` as its two halves; `--name` with no value.
    private static func split(_ argument: String) -> (name: Substring, value: String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument[...], nil) }
        return (argument[..<equals], String(argument[argument.index(after: equals)...]))
    }
}
