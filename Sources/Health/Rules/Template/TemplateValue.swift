import Jobkit
import JobkitSupport

/// A sample of a `query` result in a template: its labels (`__name__` included) and value.
public struct TemplateSample: Sendable, Hashable {
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// What an alert template sees as `.`: Prometheus's `AlertTemplateData`.
struct TemplateData: Sendable {
    var labels: [String: String]
    var externalLabels: [String: String]
    var externalURL: String
    var value: Double

    static let goType =
        "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }"
}

/// A value during template execution, with the Go type it stands for.
indirect enum TemplateValue: Sendable {
    case string(String)
    /// `html/template.HTML`, from `safeHtml`.
    case html(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    /// `map[string]string`: label sets.
    case labels([String: String])
    /// `map[string]interface {}`, from `args`.
    case map([String: TemplateValue])
    case data(TemplateData)
    /// Prometheus's `queryResult`.
    case samples([TemplateSample])
    /// `*sample`; `nil` for a nil pointer.
    case sample(TemplateSample?)
    /// `*time.Time`, in milliseconds since the epoch, UTC.
    case time(Int64)
    /// An untyped `nil`.
    case `nil`
    /// No value at all (Go's invalid `reflect.Value`), printed `<no value>`.
    case missing

    /// The Go type's name, as `%T` prints it.
    var goType: String {
        switch self {
        case .string: "string"
        case .html: "template.HTML"
        case .int: "int"
        case .float: "float64"
        case .bool: "bool"
        case .labels: "map[string]string"
        case .map: "map[string]interface {}"
        case .data: TemplateData.goType
        case .samples: "template.queryResult"
        case .sample: "*template.sample"
        case .time: "*time.Time"
        case .nil: "<nil>"
        case .missing: "<invalid reflect.Value>"
        }
    }

    /// Go's truth for `if`, `with`, `and`, `or`, `not`: false for zero numbers, empty strings and
    /// collections, nil; `nil` when the value has no truth (no value at all).
    var truth: Bool? {
        switch self {
        case .string(let text), .html(let text): !text.isEmpty
        case .int(let value): value != 0
        case .float(let value): value != 0
        case .bool(let value): value
        case .labels(let map): !map.isEmpty
        case .map(let map): !map.isEmpty
        case .samples(let samples): !samples.isEmpty
        case .sample(let sample): sample != nil
        case .data, .time: true
        case .nil: false
        case .missing: nil
        }
    }

    /// `fmt.Sprint` of the value alone (`%v`).
    var printed: String { format(nested: false) }

    private func format(nested: Bool) -> String {
        switch self {
        case .string(let text), .html(let text): text
        case .int(let value): String(value)
        case .float(let value): GoFormat.shortest(value)
        case .bool(let value): value ? "true" : "false"
        case .labels(let map): "map[" + map.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ") + "]"
        case .map(let map):
            "map[" + map.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.format(nested: true))" }.joined(separator: " ")
                + "]"
        case .data(let data):
            "{\(TemplateValue.labels(data.labels).printed) \(TemplateValue.labels(data.externalLabels).printed) "
                + "\(data.externalURL) \(GoFormat.shortest(data.value))}"
        case .samples(let samples): "[" + samples.map { Self.sample($0).format(nested: true) }.joined(separator: " ") + "]"
        case .sample(let sample):
            sample.map { (nested ? "" : "&") + "{\(TemplateValue.labels($0.labels).printed) \(GoFormat.shortest($0.value))}" }
                ?? "<nil>"
        case .time(let milliseconds): GoTime.string(milliseconds: milliseconds)
        case .nil: "<nil>"
        case .missing: "<no value>"
        }
    }

    var isStringLike: Bool {
        switch self {
        case .string, .html: true
        default: false
        }
    }
}

/// Go's time.Time `String()` for a UTC instant: `2006-01-02 15:04:05.999999999 +0000 UTC`.
enum GoTime {
    private static let millisecondsPerDay: Int64 = 86_400_000

    static func string(milliseconds: Int64) -> String {
        var days = milliseconds / millisecondsPerDay
        var rest = milliseconds % millisecondsPerDay
        if rest < 0 {
            rest += millisecondsPerDay
            days -= 1
        }
        let date = CivilDate(days: Int(days))
        let seconds = rest / 1000
        let fraction = rest % 1000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text = "\(date.year)-\(two(Int64(date.month)))-\(two(Int64(date.day))) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + " +0000 UTC"
    }
}

/// Go's double-quoted string literals: `strconv.Unquote` and `strconv.Quote`.
enum GoStringLiteral {
    /// The value of a literal's body (without its quotes), or `nil` for a bad escape.
    static func unquote(_ body: String) -> String? {
        var output = String.UnicodeScalarView()
        var scalars = body.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\" else {
                output.append(scalar)
                continue
            }
            guard let escape = scalars.next() else { return nil }
            let simple: [Unicode.Scalar: Unicode.Scalar] = [
                "n": "\n", "t": "\t", "r": "\r", "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "v": "\u{0B}",
                "\\": "\\", "\"": "\"", "'": "'",
            ]
            if let mapped = simple[escape] {
                output.append(mapped)
                continue
            }
            let hexCount: Int? =
                switch escape {
                case "x": 2
                case "u": 4
                case "U": 8
                default: nil
                }
            var digits = ""
            if let hexCount {
                for _ in 0..<hexCount { guard let next = scalars.next() else { return nil }; digits.unicodeScalars.append(next) }
                guard let value = UInt32(digits, radix: 16), let decoded = Unicode.Scalar(value) else { return nil }
                output.append(decoded)
            } else if ("0"..."7").contains(escape) {
                digits.unicodeScalars.append(escape)
                for _ in 0..<2 { guard let next = scalars.next() else { return nil }; digits.unicodeScalars.append(next) }
                guard let value = UInt32(digits, radix: 8), value < 256, let decoded = Unicode.Scalar(value) else { return nil }
                output.append(decoded)
            } else {
                return nil
            }
        }
        return String(output)
    }

    /// `strconv.Quote`: the value in double quotes with Go's escapes.
    static func quote(_ value: String) -> String {
        let table: [Unicode.Scalar: String] = [
            "\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\u{07}": "\\a", "\u{08}": "\\b",
            "\u{0C}": "\\f", "\u{0B}": "\\v",
        ]
        let body = GoEscaping.escape(value, table) { scalar in
            guard scalar.value < 0x20 || scalar.value == 0x7F else { return nil }
            let hex = String(scalar.value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" : "") + hex
        }
        return "\"" + body + "\""
    }
}

/// The escaping loop Go's quoting and escaping functions share.
enum GoEscaping {
    /// `text` with each scalar in `table` replaced, and each other one `fallback` maps replaced too.
    static func escape(
        _ text: String, _ table: [Unicode.Scalar: String], fallback: (Unicode.Scalar) -> String? = { _ in nil }
    ) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            if let replacement = table[scalar] ?? fallback(scalar) {
                output += replacement
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
