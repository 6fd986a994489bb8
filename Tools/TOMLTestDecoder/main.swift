// toml-test's decoder interface for memoryd's config parser: TOML on stdin; on success the document as
// toml-test's tagged JSON on stdout (`{"key": {"type": "integer", "value": "42"}}`) and exit 0; on a
// refusal the error (file:line:column) on stderr and exit 1. scripts/toml-conformance runs it over the
// toml-test cases.
import FoundationEssentials
import JobkitSupport
import MemorydCore

#if canImport(Glibc)
    import Glibc
#endif

var input: [UInt8] = []
var chunk = [UInt8](repeating: 0, count: 65_536)
while true {
    let count = read(STDIN_FILENO, &chunk, chunk.count)
    if count <= 0 { break }
    input += chunk[0..<count]
}
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

func tagged(_ type: String, _ value: String) -> String { "{\"type\":\"\(type)\",\"value\":\(quoted(value))}" }

func json(_ value: TOMLValue) -> String {
    switch value.kind {
    case .string(let text): return tagged("string", text)
    case .integer(let number): return tagged("integer", String(number))
    case .float(let number):
        let text = number.isNaN ? "nan" : number.isInfinite ? (number < 0 ? "-inf" : "inf") : "\(number)"
        return tagged("float", text)
    case .boolean(let flag): return tagged("bool", flag ? "true" : "false")
    case .array(let items): return "[" + items.map(json).joined(separator: ",") + "]"
    case .table(let table): return json(table)
    case .dateTime(let dateTime):
        let type =
            switch dateTime.form {
            case .offsetDateTime: "datetime"
            case .localDateTime: "datetime-local"
            case .localDate: "date-local"
            case .localTime: "time-local"
            }
        return tagged(type, dateTime.text)
    }
}

func json(_ table: TOMLTable) -> String {
    "{" + table.entries.map { quoted($0.key) + ":" + json($0.value) }.joined(separator: ",") + "}"
}

do {
    let table = try TOMLParser.parse(utf8: input, file: "stdin")
    print(json(table))
} catch {
    StandardStreams.error("\(error)\n")
    exit(1)
}
