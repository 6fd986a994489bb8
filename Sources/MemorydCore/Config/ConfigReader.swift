import FoundationEssentials
import JobkitMetrics
import JobkitSupport
import MemorydClient

/// Reads one TOML table into typed values, collecting errors instead of stopping at the first, and
/// reports keys nobody asked for.
struct ConfigReader {
    let table: TOMLTable
    /// The table's dotted name (`jobs.extract`), for messages.
    let path: String
    let location: SourceLocation
    private(set) var used: Set<String> = []
    /// Shared with the readers of nested tables.
    let errors: ErrorList

    /// Collects errors across readers.
    final class ErrorList {
        var errors: [ConfigError] = []
        func add(_ location: SourceLocation, _ message: String) { errors.append(ConfigError(location, message)) }
    }

    init(table: TOMLTable, path: String, location: SourceLocation, errors: ErrorList) {
        self.table = table
        self.path = path
        self.location = location
        self.errors = errors
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value at `key` as it is, marked as read.
    mutating func value(_ key: String) -> TOMLValue? {
        used.insert(key)
        return table[key]
    }

    private func mismatch(_ key: String, _ value: TOMLValue, expected: String) {
        // TOML reads `at = 1979-05-27` or `time = 03:00:00` as a date or time; the config wants strings.
        let hint = if case .dateTime = value.kind { " (write it in quotes, as \"03:00\" or \"30s\")" } else { "" }
        errors.add(value.location, "\(name(key)) must be \(expected), not \(value.typeName)\(hint)")
    }

    /// Reports `message` at `key`'s value.
    func error(_ key: String, _ message: String) {
        errors.add(table[key]?.location ?? location, message)
    }

    mutating func string(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value.kind else {
            mismatch(key, value, expected: "a string")
            return nil
        }
        return text
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .boolean(let flag) = value.kind else {
            mismatch(key, value, expected: "true or false")
            return nil
        }
        return flag
    }

    mutating func integer(_ key: String, atLeast minimum: Int) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value.kind else {
            mismatch(key, value, expected: "an integer")
            return nil
        }
        guard number >= minimum, number <= Int64(Int32.max) else {
            errors.add(value.location, "\(name(key)) must be at least \(minimum), not \(number)")
            return nil
        }
        return Int(number)
    }

    mutating func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let value = value(key) else { return nil }
        let number: Double
        switch value.kind {
        case .float(let float): number = float
        case .integer(let integer): number = Double(integer)
        default:
            mismatch(key, value, expected: "a number")
            return nil
        }
        guard range.contains(number) else {
            errors.add(
                value.location,
                "\(name(key)) must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
            return nil
        }
        return number
    }

    mutating func duration(_ key: String) -> Duration? {
        guard let text = string(key), let location = table[key]?.location else { return nil }
        guard let duration = Self.parseDuration(text), duration > .zero else {
            errors.add(
                location,
                "\(name(key)) = \"\(text)\" is not a duration; write \(DurationText.grammar)"
            )
            return nil
        }
        return duration
    }

    mutating func strings(_ key: String, nonEmpty: Bool = false) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value.kind else {
            mismatch(key, value, expected: "an array of strings")
            return nil
        }
        var result: [String] = []
        for element in elements {
            guard case .string(let text) = element.kind else {
                errors.add(element.location, "\(name(key)) must hold strings only, not \(element.typeName)")
                return nil
            }
            result.append(text)
        }
        if nonEmpty && result.isEmpty {
            errors.add(value.location, "\(name(key)) must not be empty")
            return nil
        }
        return result
    }

    /// A path with `~` and `$VAR` / `${VAR}` expanded.
    mutating func path(_ key: String, environment: [String: String]) -> String? {
        guard let text = string(key), let location = table[key]?.location else { return nil }
        switch Self.expand(text, environment: environment) {
        case .success(let path): return path
        case .failure(let variable):
            errors.add(location, "\(name(key)) uses $\(variable.name), which is not set")
            return nil
        }
    }

    /// The sub-table at `key`, as a reader.
    mutating func table(_ key: String) -> ConfigReader? {
        guard let value = value(key) else { return nil }
        guard case .table(let inner) = value.kind else {
            mismatch(key, value, expected: "a table")
            return nil
        }
        return ConfigReader(table: inner, path: name(key), location: value.location, errors: errors)
    }

    /// The tables of an array of tables (`[[key]]`).
    mutating func tables(_ key: String) -> [ConfigReader] {
        guard let value = value(key) else { return [] }
        guard case .array(let elements) = value.kind else {
            mismatch(key, value, expected: "an array of tables ([[\(name(key))]])")
            return []
        }
        return elements.compactMap { element in
            guard case .table(let inner) = element.kind else {
                errors.add(element.location, "\(name(key)) must hold tables only, not \(element.typeName)")
                return nil
            }
            return ConfigReader(table: inner, path: name(key), location: element.location, errors: errors)
        }
    }

    /// Every key of this table that was not read is an error: typos are never silently ignored.
    func rejectUnknownKeys(expected: [String]) {
        for entry in table.entries where !used.contains(entry.key) {
            let place = path.isEmpty ? "at the top level" : "in [\(path)]"
            errors.add(
                entry.keyLocation,
                "unknown key '\(entry.key)' \(place); "
                    + (Suggestion.closest(to: entry.key, among: expected).map { "did you mean '\($0)'? " } ?? "")
                    + "expected one of: \(expected.joined(separator: ", "))")
        }
    }

    // MARK: - Values

    /// A duration in the one grammar of ``DurationText`` (`500ms`, `30s`, `1h30m`, `2w`).
    static func parseDuration(_ text: String) -> Duration? {
        DurationText.milliseconds(text.trimmingWhitespace()).map { .milliseconds($0) }
    }

    struct UnsetVariable: Error { let name: String }

    /// Expands a leading `~` and `$NAME` / `${NAME}`. XDG base directories that are unset take their
    /// specified defaults (`$XDG_STATE_HOME` → `~/.local/state`, …; `$XDG_RUNTIME_DIR` → `/tmp/memoryd-UID`, as
    /// the daemon's own default socket has it).
    static func expand(_ text: String, environment: [String: String]) -> Result<String, UnsetVariable> {
        let home = Paths.home(environment: environment)
        let defaults = [
            "XDG_STATE_HOME": home + "/.local/state", "XDG_CONFIG_HOME": home + "/.config",
            "XDG_DATA_HOME": home + "/.local/share", "XDG_CACHE_HOME": home + "/.cache",
            "XDG_RUNTIME_DIR": DaemonAddress.fallbackRuntimeDirectory,
        ]
        var result = ""
        var rest = Substring(text)
        if rest == "~" || rest.hasPrefix("~/") {
            result = home
            rest = rest.dropFirst()
        }
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            let name: Substring
            if rest.first == "{", let close = rest.firstIndex(of: "}") {
                name = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
            } else {
                name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                rest = rest.dropFirst(name.count)
            }
            guard let value = environment[String(name)].flatMap({ $0.isEmpty ? nil : $0 }) ?? defaults[String(name)]
            else { return .failure(UnsetVariable(name: String(name))) }
            result += value
        }
        return .success(result + rest)
    }
}
