/// The functions Prometheus 2.42 adds to Go's templates (`template/template.go`), with its results and
/// error messages.
enum PrometheusTemplateFunctions {
    /// Nanoseconds in a second: `humanizeTimestamp` and `toTime` go through a nanosecond count as Prometheus does.
    private static let nanosecondsPerSecond = 1e9
    private static let nanosecondsPerMillisecond: Int64 = 1_000_000

    static func evaluate(_ name: String, _ values: [TemplateValue], query: TemplateQuery?, externalURL: String)
        throws(TemplateCallError) -> TemplateValue
    {
        func text(_ index: Int) -> String {
            if case .string(let value) = values[index] { return value }
            return values[index].printed
        }
        func sample(_ index: Int) -> TemplateSample? {
            if case .sample(let value) = values[index] { return value }
            return nil
        }
        func samples(_ index: Int) -> [TemplateSample] {
            if case .samples(let value) = values[index] { return value }
            return []
        }
        switch name {
        case "query":
            guard let query else { throw TemplateCallError("no query engine is available to this template") }
            do {
                return .samples(try query(text(0)))
            } catch {
                throw TemplateCallError("\(error)")
            }
        case "first":
            guard let first = samples(0).first else { throw TemplateCallError("first() called on vector with no elements") }
            return .sample(first)
        case "label": return .string(sample(1)?.labels[text(0)] ?? "")
        case "value": return .float(sample(0)?.value ?? 0)
        case "strvalue": return .string(sample(0)?.labels["__value__"] ?? "")
        case "args":
            return .map(Dictionary(uniqueKeysWithValues: values.enumerated().map { ("arg\($0.offset)", $0.element) }))
        case "reReplaceAll": return .string(try replaceAll(pattern: text(0), replacement: text(1), in: text(2)))
        case "match":
            let regex = try compile(text(0))
            return .bool(text(1).firstMatch(of: regex) != nil)
        case "safeHtml": return .html(text(0))
        case "title": return .string(title(text(0)))
        case "toUpper": return .string(mapScalars(text(0)) { $0.properties.uppercaseMapping })
        case "toLower": return .string(mapScalars(text(0)) { $0.properties.lowercaseMapping })
        case "graphLink": return .string("/graph?g0.expr=" + GoBuiltins.queryEscape(text(0)) + "&g0.tab=0")
        case "tableLink": return .string("/graph?g0.expr=" + GoBuiltins.queryEscape(text(0)) + "&g0.tab=1")
        case "sortByLabel":
            let label = text(0)
            let sorted = samples(1).enumerated().sorted { left, right in
                let (a, b) = (Array((left.element.labels[label] ?? "").utf8), Array((right.element.labels[label] ?? "").utf8))
                return a == b ? left.offset < right.offset : a.lexicographicallyPrecedes(b)
            }
            return .samples(sorted.map(\.element))
        case "humanize": return .string(GoFormat.humanize(try float(values[0])))
        case "humanize1024": return .string(GoFormat.humanize1024(try float(values[0])))
        case "humanizeDuration": return .string(GoFormat.humanizeDuration(try float(values[0])))
        case "humanizePercentage": return .string(GoFormat.humanizePercentage(try float(values[0])))
        case "humanizeTimestamp":
            let seconds = try float(values[0])
            if seconds.isNaN || seconds.isInfinite { return .string(GoFormat.fourSignificant(seconds)) }
            return .string(GoTime.string(milliseconds: try milliseconds(seconds)))
        case "toTime":
            let seconds = try float(values[0])
            if seconds.isNaN || seconds.isInfinite { throw TemplateCallError("value is NaN or Inf") }
            return .time(try milliseconds(seconds))
        case "pathPrefix": return .string(path(of: externalURL))
        case "externalURL": return .string(externalURL)
        case "stripPort": return .string(stripPort(text(0)))
        default: throw TemplateCallError("function \"\(name)\" not defined")
        }
    }

    /// Prometheus's `convertToFloat`.
    private static func float(_ value: TemplateValue) throws(TemplateCallError) -> Double {
        switch value {
        case .float(let number): return number
        case .int(let number): return Double(number)
        case .string(let text):
            guard let number = Double(text), !text.hasPrefix("0x"), !text.contains("_") else {
                throw TemplateCallError("strconv.ParseFloat: parsing \(GoStringLiteral.quote(text)): invalid syntax")
            }
            return number
        default: throw TemplateCallError("can't convert \(value.goType) to float")
        }
    }

    /// The instant as Prometheus keeps it: seconds to nanoseconds, truncated to milliseconds.
    private static func milliseconds(_ seconds: Double) throws(TemplateCallError) -> Int64 {
        let nanoseconds = seconds * nanosecondsPerSecond
        guard nanoseconds < 0x1p63, nanoseconds >= -0x1p63 else {
            throw TemplateCallError(
                "\(GoFormat.shortest(seconds)) cannot be represented as a nanoseconds timestamp since it overflows int64")
        }
        return Int64(nanoseconds) / nanosecondsPerMillisecond
    }

    private static func compile(_ pattern: String) throws(TemplateCallError) -> Regex<AnyRegexOutput> {
        do {
            return try Regex(pattern)
        } catch {
            throw TemplateCallError("error parsing regexp: \(error)")
        }
    }

    /// Go's `Regexp.ReplaceAllString`: every match replaced, `$1`/`${name}` expanded.
    private static func replaceAll(pattern: String, replacement: String, in text: String) throws(TemplateCallError) -> String {
        let regex = try compile(pattern)
        return text.replacing(regex) { match in LabelFunctions.expand(replacement, match.output) }
    }

    /// Go's `strings.Title`: the first letter of each word in title case.
    private static func title(_ text: String) -> String {
        var previous: Unicode.Scalar = " "
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isSeparator(previous), let mapped = single(scalar.properties.titlecaseMapping) {
                output.append(mapped)
            } else {
                output.append(scalar)
            }
            previous = scalar
        }
        return String(output)
    }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let isWord = scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
            return !isWord
        }
        if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { return false }
        return scalar.properties.isWhitespace
    }

    /// Go maps case one scalar to one scalar; a mapping to several (`ß` → `SS`) leaves the scalar as is.
    private static func mapScalars(_ text: String, _ mapping: (Unicode.Scalar) -> String) -> String {
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { output.append(single(mapping(scalar)) ?? scalar) }
        return String(output)
    }

    private static func single(_ text: String) -> Unicode.Scalar? {
        text.unicodeScalars.count == 1 ? text.unicodeScalars.first : nil
    }

    /// Go's `net.SplitHostPort` host, or the input when it has no port.
    private static func stripPort(_ hostPort: String) -> String {
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]"), hostPort[hostPort.index(after: close)...].hasPrefix(":"),
                !hostPort[hostPort.index(after: close)...].dropFirst().contains(":")
            else { return hostPort }
            return String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
        }
        let colons = hostPort.count { $0 == ":" }
        guard colons == 1, let colon = hostPort.firstIndex(of: ":") else { return hostPort }
        let host = hostPort[..<colon]
        return host.contains("[") || host.contains("]") ? hostPort : String(host)
    }

    /// The path of an absolute URL (`http://host:9090/prometheus` → `/prometheus`).
    private static func path(of url: String) -> String {
        guard let scheme = url.firstRange(of: "://") else { return url.hasPrefix("/") ? url : "" }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        let path = rest[slash...]
        return String(path.prefix { $0 != "?" && $0 != "#" })
    }
}
