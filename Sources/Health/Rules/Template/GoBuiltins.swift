/// Go text/template's predefined functions: comparisons, `len`, `index`, `slice`, `not`, the `print`
/// family and the `html`, `js` and `urlquery` escapers. (`and` and `or` stop at the deciding argument,
/// so the executor runs them itself.)
enum GoBuiltins {
    /// The builtin's result, or `nil` when `name` is not a builtin.
    static func evaluate(_ name: String, _ values: [TemplateValue]) throws(TemplateCallError) -> TemplateValue? {
        switch name {
        case "not": return .bool(!(values[0].truth ?? false))
        case "len": return .int(try length(values[0]))
        case "index": return try index(values[0], Array(values.dropFirst()))
        case "slice": return try slice(values[0], Array(values.dropFirst()))
        case "print": return .string(GoPrintf.sprint(values))
        case "println": return .string(GoPrintf.sprintln(values))
        case "printf":
            guard case .string(let format) = values[0] else { return .missing }
            return .string(GoPrintf.sprintf(format, Array(values.dropFirst())))
        case "html": return .string(htmlEscape(joined(values)))
        case "js": return .string(jsEscape(joined(values)))
        case "urlquery": return .string(queryEscape(joined(values)))
        case "eq":
            guard values.count > 1 else { throw TemplateCallError("missing argument for comparison") }
            for other in values.dropFirst() where try equal(values[0], other) { return .bool(true) }
            return .bool(false)
        case "ne": return .bool(!(try equal(values[0], values[1])))
        case "lt": return .bool(try less(values[0], values[1]))
        case "le": return .bool(try lessOrEqual(values[0], values[1]))
        case "gt": return .bool(!(try lessOrEqual(values[0], values[1])))
        case "ge": return .bool(!(try less(values[0], values[1])))
        default: return nil
        }
    }

    /// The text of an escaper's arguments: a lone string as is, otherwise `fmt.Sprint` of them all.
    private static func joined(_ values: [TemplateValue]) -> String {
        if values.count == 1, case .string(let text) = values[0] { return text }
        return GoPrintf.sprint(values)
    }

    private static func length(_ value: TemplateValue) throws(TemplateCallError) -> Int {
        switch value {
        case .string(let text), .html(let text): return text.utf8.count
        case .labels(let map): return map.count
        case .map(let map): return map.count
        case .samples(let samples): return samples.count
        default: throw TemplateCallError("len of type \(value.goType)")
        }
    }

    private static func index(_ start: TemplateValue, _ keys: [TemplateValue]) throws(TemplateCallError) -> TemplateValue {
        var value = start
        for key in keys {
            switch (value, key) {
            case (.labels(let map), .string(let name)): value = .string(map[name] ?? "")
            case (.map(let map), .string(let name)): value = map[name] ?? .missing
            case (.labels, _), (.map, _): throw TemplateCallError("value has type \(key.goType); should be string")
            case (.samples(let samples), .int(let position)):
                guard samples.indices.contains(position) else { throw TemplateCallError("index out of range: \(position)") }
                value = .sample(samples[position])
            case (.string(let text), .int(let position)):
                let bytes = Array(text.utf8)
                guard bytes.indices.contains(position) else { throw TemplateCallError("index out of range: \(position)") }
                value = .int(Int(bytes[position]))
            case (.samples, _), (.string, _): throw TemplateCallError("cannot index slice/array with type \(key.goType)")
            case (.nil, _), (.missing, _): throw TemplateCallError("index of untyped nil")
            default: throw TemplateCallError("can't index item of type \(value.goType)")
            }
        }
        return value
    }

    private static func slice(_ value: TemplateValue, _ bounds: [TemplateValue]) throws(TemplateCallError) -> TemplateValue {
        var numbers: [Int] = []
        for bound in bounds {
            guard case .int(let number) = bound else { throw TemplateCallError("cannot index slice/array with type \(bound.goType)") }
            numbers.append(number)
        }
        switch value {
        case .string(let text):
            guard numbers.count <= 2 else { throw TemplateCallError("cannot 3-index slice a string") }
            let bytes = Array(text.utf8)
            let low = numbers.first ?? 0
            let high = numbers.count > 1 ? numbers[1] : bytes.count
            guard low >= 0, low <= high, high <= bytes.count else { throw TemplateCallError("index out of range: \(high)") }
            return .string(String(decoding: bytes[low..<high], as: UTF8.self))
        case .samples(let samples):
            let low = numbers.first ?? 0
            let high = numbers.count > 1 ? numbers[1] : samples.count
            guard low >= 0, low <= high, high <= samples.count else { throw TemplateCallError("index out of range: \(high)") }
            return .samples(Array(samples[low..<high]))
        default: throw TemplateCallError("can't slice item of type \(value.goType)")
        }
    }

    private enum Kind { case bool, int, float, string, other }

    private static func kind(_ value: TemplateValue) -> Kind {
        switch value {
        case .bool: .bool
        case .int: .int
        case .float: .float
        case .string, .html: .string
        default: .other
        }
    }

    private static func equal(_ left: TemplateValue, _ right: TemplateValue) throws(TemplateCallError) -> Bool {
        let (leftKind, rightKind) = (kind(left), kind(right))
        guard leftKind == rightKind else {
            if case .missing = left { return false }
            if case .missing = right { return false }
            throw TemplateCallError("incompatible types for comparison")
        }
        switch (left, right) {
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.float(let a), .float(let b)): return a == b
        case (.string(let a), .string(let b)), (.html(let a), .html(let b)), (.string(let a), .html(let b)),
            (.html(let a), .string(let b)):
            return a == b
        case (.sample(let a), .sample(let b)): return a == b
        case (.nil, .nil): return true
        case (.time(let a), .time(let b)): return a == b
        default: throw TemplateCallError("non-comparable type \(left.printed): \(left.goType)")
        }
    }

    private static func less(_ left: TemplateValue, _ right: TemplateValue) throws(TemplateCallError) -> Bool {
        let (leftKind, rightKind) = (kind(left), kind(right))
        guard leftKind != .other, rightKind != .other else { throw TemplateCallError("invalid type for comparison") }
        guard leftKind == rightKind else { throw TemplateCallError("incompatible types for comparison") }
        switch (left, right) {
        case (.int(let a), .int(let b)): return a < b
        case (.float(let a), .float(let b)): return a < b
        case (.string(let a), .string(let b)), (.html(let a), .html(let b)), (.string(let a), .html(let b)),
            (.html(let a), .string(let b)):
            return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        default: throw TemplateCallError("invalid type for comparison")
        }
    }

    private static func lessOrEqual(_ left: TemplateValue, _ right: TemplateValue) throws(TemplateCallError) -> Bool {
        if try less(left, right) { return true }
        return try equal(left, right)
    }

    /// Go's `template.HTMLEscapeString`.
    static func htmlEscape(_ text: String) -> String {
        GoEscaping.escape(text, ["\"": "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\u{0}": "\u{FFFD}"])
    }

    /// Go's `template.JSEscapeString`.
    static func jsEscape(_ text: String) -> String {
        let table: [Unicode.Scalar: String] = [
            "\\": "\\\\", "'": "\\'", "\"": "\\\"", "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D",
        ]
        return GoEscaping.escape(text, table) { scalar in
            guard scalar.value < 0x20 else { return nil }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }

    /// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, the rest `%XX`.
    static func queryEscape(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "): output += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count < 2 ? "0" : "") + hex
            }
        }
        return output
    }
}
