/// `label_replace` and `label_join`, as Prometheus 2.42 applies them.
enum LabelFunctions {
    /// `label_replace(v, dst, replacement, src, regex)`: where `regex` matches the whole of `src`'s
    /// value, `dst` becomes the replacement with `$1`, `${name}` expanded (removed when empty).
    static func replace(_ vector: [VectorElement], _ arguments: [String]) throws(PromQLEvaluationError) -> [VectorElement] {
        let (destination, replacement, source, expression) = (arguments[0], arguments[1], arguments[2], arguments[3])
        let pattern: AnchoredPattern
        do {
            pattern = try AnchoredPattern(expression)
        } catch {
            throw PromQLEvaluationError("invalid regular expression in label_replace(): \(expression)")
        }
        guard LabelSet.isValidName(destination) else {
            throw PromQLEvaluationError("invalid destination label name in label_replace(): \(destination)")
        }
        return vector.map { element in
            let value = element.labels[source] ?? ""
            guard let match = value.wholeMatch(of: pattern.anchored) else { return element }
            var output = element
            output.labels = element.labels.setting(destination, to: expand(replacement, match.output))
            return output
        }
    }

    /// `label_join(v, dst, separator, src…)`: `dst` becomes the `src` values joined.
    static func join(_ vector: [VectorElement], _ arguments: [String]) throws(PromQLEvaluationError) -> [VectorElement] {
        let (destination, separator, sources) = (arguments[0], arguments[1], arguments.dropFirst(2))
        for source in sources where !LabelSet.isValidName(source) {
            throw PromQLEvaluationError("invalid source label name in label_join(): \(source)")
        }
        guard LabelSet.isValidName(destination) else {
            throw PromQLEvaluationError("invalid destination label name in label_join(): \(destination)")
        }
        return vector.map { element in
            var output = element
            let joined = sources.map { element.labels[$0] ?? "" }.joined(separator: separator)
            output.labels = element.labels.setting(destination, to: joined)
            return output
        }
    }

    /// Go's `Regexp.ExpandString`: `$n`, `${n}`, `$name`, `${name}` (the longest name), `$$` for `$`.
    static func expand(_ template: String, _ captures: AnyRegexOutput) -> String {
        var output = ""
        var rest = Substring(template)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "$" {
                output += "$"
                rest = rest.dropFirst()
                continue
            }
            let braced = rest.first == "{"
            let nameStart = braced ? rest.index(after: rest.startIndex) : rest.startIndex
            let nameEnd = rest[nameStart...].firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? rest.endIndex
            let name = rest[nameStart..<nameEnd]
            guard !name.isEmpty, !braced || rest[nameEnd...].first == "}" else {
                output += "$"
                continue
            }
            rest = rest[(braced ? rest.index(after: nameEnd) : nameEnd)...]
            if let number = Int(name), name.allSatisfy(\.isNumber) {
                if number < captures.count, let text = captures[number].substring { output += text }
            } else if let capture = captures[String(name)], let text = capture.substring {
                output += text
            }
        }
        return output + rest
    }
}
