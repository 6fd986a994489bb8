import ArgumentParser
import MemorydCore

/// The calls scripts make in loops, `memoryd submit JOB …` and `memoryd --version`, read by hand.
///
/// ArgumentParser builds every command's argument tree at each call, instantiating generic types from
/// mangled names and reflecting over the command; that is about a quarter of a client call's CPU, more
/// than the request itself. The plain forms of these two are recognised here and run the same command
/// code ArgumentParser's command runs. Anything else (help, a flag this does not know, a missing
/// value, a value that looks like an option, `--batch`) is left to ArgumentParser, so errors, help and
/// every other command behave exactly as before.
enum FastPath {
    /// What the plain form of `arguments` (without the program name) runs, or `nil` to parse them fully.
    static func command(_ arguments: [String]) -> (() throws -> Void)? {
        if arguments == ["--version"] { return { printLine(MemorydVersion.current) } }
        guard arguments.first == "submit" else { return nil }
        return submit(arguments.dropFirst())
    }

    /// `submit` with `--socket`, `--http`, `--state-dir`, `--param` (each as `--name value` or
    /// `--name=value`), `--json` and one job.
    static func submit(_ arguments: ArraySlice<String>) -> (() throws -> Void)? {
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
                // A malformed one is refused by the full parse, with submit's usage.
                guard let equals = value.firstIndex(of: "="), equals != value.startIndex else { return nil }
                parameters.append(value)
            }
        }
        guard let job else { return nil }
        return { [parameters] in
            try Submit.submit(
                job, parameters: parameters, json: json, client: GlobalOptions.client(socket: socket, http: http))
        }
    }

    /// `--name=value` as its two halves; `--name` with no value.
    private static func split(_ argument: String) -> (name: Substring, value: String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument[...], nil) }
        return (argument[..<equals], String(argument[argument.index(after: equals)...]))
    }
}
