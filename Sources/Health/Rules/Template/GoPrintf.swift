/// Go's `fmt.Sprintf`, `fmt.Sprint` and `fmt.Sprintln` over template values: verbs, flags, width and
/// precision, and Go's `%!verb(type=value)` notes for a wrong, missing or extra argument.
enum GoPrintf {
    /// `fmt.Sprint`: operands separated by a space where neither side is a string.
    static func sprint(_ values: [TemplateValue]) -> String {
        var output = ""
        for (index, value) in values.enumerated() {
            if index > 0 && !value.isStringLike && !values[index - 1].isStringLike { output += " " }
            output += value.printed
        }
        return output
    }

    /// `fmt.Sprintln`: operands always separated by a space, and a newline.
    static func sprintln(_ values: [TemplateValue]) -> String {
        values.map(\.printed).joined(separator: " ") + "\n"
    }

    private struct Spec {
        var minus = false, plus = false, sharp = false, space = false, zero = false
        var width: Int?
        var precision: Int?
    }

    /// `fmt.Sprintf(format, values...)`.
    static func sprintf(_ format: String, _ values: [TemplateValue]) -> String {
        let scalars = Array(format.unicodeScalars)
        var output = ""
        var argument = 0
        var index = 0
        func nextInt() -> Int? {
            guard argument < values.count, case .int(let value) = values[argument] else { return nil }
            argument += 1
            return value
        }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "%" else {
                output.unicodeScalars.append(scalar)
                continue
            }
            var spec = Spec()
            flags: while index < scalars.count {
                switch scalars[index] {
                case "-": spec.minus = true
                case "+": spec.plus = true
                case "#": spec.sharp = true
                case " ": spec.space = true
                case "0": spec.zero = true
                default: break flags
                }
                index += 1
            }
            if index < scalars.count && scalars[index] == "*" {
                index += 1
                spec.width = nextInt()
                if spec.width == nil { output += "%!(BADWIDTH)" }
            } else {
                spec.width = digits(scalars, &index)
            }
            if index < scalars.count && scalars[index] == "." {
                index += 1
                if index < scalars.count && scalars[index] == "*" {
                    index += 1
                    spec.precision = nextInt()
                    if spec.precision == nil { output += "%!(BADPREC)" }
                } else {
                    spec.precision = digits(scalars, &index) ?? 0
                }
            }
            guard index < scalars.count else {
                output += "%!(NOVERB)"
                break
            }
            let verb = scalars[index]
            index += 1
            if verb == "%" {
                output += "%"
                continue
            }
            guard argument < values.count else {
                output += "%!\(Character(verb))(MISSING)"
                continue
            }
            output += pad(formatOne(values[argument], verb: verb, spec), spec, numeric: values[argument].isNumber)
            argument += 1
        }
        if argument < values.count {
            output += "%!(EXTRA "
                + values[argument...].map { "\($0.goType)=\($0.printed)" }.joined(separator: ", ") + ")"
        }
        return output
    }

    private static func digits(_ scalars: [Unicode.Scalar], _ index: inout Int) -> Int? {
        var value: Int?
        while index < scalars.count, let digit = Int(String(scalars[index])), ("0"..."9").contains(scalars[index]) {
            value = (value ?? 0) * 10 + digit
            index += 1
        }
        return value
    }

    private static func pad(_ text: String, _ spec: Spec, numeric: Bool) -> String {
        guard let width = spec.width, text.unicodeScalars.count < width else { return text }
        let fill = width - text.unicodeScalars.count
        if spec.minus { return text + String(repeating: " ", count: fill) }
        guard spec.zero && numeric else { return String(repeating: " ", count: fill) + text }
        var body = Substring(text)
        var sign = ""
        if let first = body.first, first == "-" || first == "+" || first == " " {
            sign = String(first)
            body = body.dropFirst()
        }
        return sign + String(repeating: "0", count: fill) + body
    }

    private static func bad(_ verb: Unicode.Scalar, _ value: TemplateValue) -> String {
        "%!\(Character(verb))(\(value.goType)=\(value.printed))"
    }

    private static func formatOne(_ value: TemplateValue, verb: Unicode.Scalar, _ spec: Spec) -> String {
        switch (verb, value) {
        case ("v", .float(let number)), ("g", .float(let number)), ("G", .float(let number)),
            ("e", .float(let number)), ("E", .float(let number)), ("f", .float(let number)), ("F", .float(let number)):
            if verb == "v" || ((verb == "g" || verb == "G") && spec.precision == nil) {
                let text = GoFormat.shortest(number)
                return signed(verb == "G" ? text.uppercased() : text, number, spec)
            }
            return float(number, verb: verb, spec)
        case ("v", _): return value.printed
        case ("s", .string(let text)), ("s", .html(let text)):
            guard let precision = spec.precision else { return text }
            return String(String.UnicodeScalarView(text.unicodeScalars.prefix(precision)))
        case ("s", .labels), ("s", .map), ("s", .samples), ("s", .time), ("s", .missing): return value.printed
        case ("q", .string(let text)), ("q", .html(let text)): return GoStringLiteral.quote(text)
        case ("t", .bool(let flag)): return flag ? "true" : "false"
        case (_, .int(let number)):
            return integer(number, verb: verb, spec) ?? bad(verb, value)
        case ("x", .string(let text)), ("X", .string(let text)):
            let hex = text.utf8.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
            return verb == "X" ? hex.uppercased() : hex
        default: return bad(verb, value)
        }
    }

    private static func signed(_ text: String, _ number: Double, _ spec: Spec) -> String {
        guard number >= 0 || number.isNaN, !text.hasPrefix("+") else { return text }
        if spec.plus { return "+" + text }
        if spec.space { return " " + text }
        return text
    }

    private static func float(_ number: Double, verb: Unicode.Scalar, _ spec: Spec) -> String {
        if number.isNaN { return signed("NaN", number, spec) }
        if number.isInfinite { return number > 0 ? (spec.plus ? "+Inf" : spec.space ? " Inf" : "+Inf") : "-Inf" }
        var format = "%"
        if spec.plus { format += "+" }
        if spec.space { format += " " }
        if spec.sharp { format += "#" }
        format += ".\(spec.precision ?? 6)" + String(Character(verb))
        return GoFormat.cFormatted(format, number)
    }

    private static func integer(_ number: Int, verb: Unicode.Scalar, _ spec: Spec) -> String? {
        let magnitude = number.magnitude
        var body: String
        switch verb {
        case "d", "v": body = String(magnitude)
        case "x": body = (spec.sharp ? "0x" : "") + String(magnitude, radix: 16)
        case "X": body = (spec.sharp ? "0X" : "") + String(magnitude, radix: 16).uppercased()
        case "o": body = (spec.sharp ? "0" : "") + String(magnitude, radix: 8)
        case "O": body = "0o" + String(magnitude, radix: 8)
        case "b": body = String(magnitude, radix: 2)
        case "c": return Unicode.Scalar(UInt32(truncatingIfNeeded: number)).map { String(Character($0)) } ?? "\u{FFFD}"
        case "q":
            return Unicode.Scalar(UInt32(truncatingIfNeeded: number)).map { "'" + String(Character($0)) + "'" } ?? "'\u{FFFD}'"
        case "U": body = "U+" + String(String(magnitude, radix: 16).uppercased().leftPadded(to: 4))
        default: return nil
        }
        if let precision = spec.precision, body.count < precision {
            body = String(repeating: "0", count: precision - body.count) + body
        }
        if number < 0 { return "-" + body }
        if spec.plus { return "+" + body }
        if spec.space { return " " + body }
        return body
    }
}

extension TemplateValue {
    var isNumber: Bool {
        switch self {
        case .int, .float: true
        default: false
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
