/// A series' labels by name, its metric name under `__name__`. An absent label and an empty one are the same.
public typealias Labels = [String: String]

/// A series' labels, sorted by name, without empty values: what identifies a series, in the order
/// Prometheus sorts series.
public struct LabelSet: Sendable, Hashable, Comparable, CustomStringConvertible {
    public struct Label: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// Sorted by name; names unique; values not empty.
    public private(set) var labels: [Label]

    /// The label that holds the metric name.
    public static let metricName = "__name__"

    public static let empty = LabelSet(sorted: [])

    private init(sorted: [Label]) { labels = sorted }

    public init(_ dictionary: Labels) {
        labels = dictionary.filter { !$0.value.isEmpty }.map { Label(name: $0.key, value: $0.value) }
            .sorted { $0.name < $1.name }
    }

    public subscript(name: String) -> String? {
        labels.first { $0.name == name }?.value
    }

    public var dictionary: Labels {
        Labels(uniqueKeysWithValues: labels.map { ($0.name, $0.value) })
    }

    /// The labels without the metric name.
    public var droppingName: LabelSet {
        guard let index = labels.firstIndex(where: { $0.name == Self.metricName }) else { return self }
        var copy = labels
        copy.remove(at: index)
        return LabelSet(sorted: copy)
    }

    public func removing(_ names: some Collection<String>) -> LabelSet {
        LabelSet(sorted: labels.filter { !names.contains($0.name) })
    }

    public func keeping(_ names: some Collection<String>) -> LabelSet {
        LabelSet(sorted: labels.filter { names.contains($0.name) })
    }

    /// The set with `name` set to `value` (removed when `value` is empty).
    public func setting(_ name: String, to value: String) -> LabelSet {
        var copy = labels.filter { $0.name != name }
        if !value.isEmpty {
            let index = copy.firstIndex { $0.name > name } ?? copy.endIndex
            copy.insert(Label(name: name, value: value), at: index)
        }
        return LabelSet(sorted: copy)
    }

    /// Whether `name` can name a label: `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || PromQLLexer.isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || PromQLLexer.isLetter($0) || PromQLLexer.isDigit($0) }
    }

    /// `{a="1", b="2"}`, as Prometheus prints a label set.
    public var description: String {
        "{" + labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
    }

    /// Label by label, name then value, a prefix first: Prometheus' `labels.Compare`.
    public static func < (left: LabelSet, right: LabelSet) -> Bool {
        for (a, b) in zip(left.labels, right.labels) {
            if a.name != b.name { return a.name < b.name }
            if a.value != b.value { return a.value < b.value }
        }
        return left.labels.count < right.labels.count
    }
}

extension Dictionary where Key == String, Value == String {
    /// The labels without the metric name.
    var droppingName: Labels {
        var copy = self
        copy[LabelSet.metricName] = nil
        return copy
    }

    /// `{a="1", b="2"}`, sorted by name, as Prometheus prints a label set.
    public var promQLDescription: String { LabelSet(self).description }
}

/// A regular expression that must match a whole label value, as Prometheus' `=~` and `!~` do.
struct AnchoredPattern: @unchecked Sendable, Hashable {
    // @unchecked: the compiled Regex is immutable after init and only used for matching.
    let source: String
    private let regex: Regex<AnyRegexOutput>
    /// The values a pattern of plain alternatives (`a|b|c`) matches, to skip the regex engine.
    private let literals: Set<String>?

    init(_ source: String) throws(PatternError) {
        self.source = source
        do {
            regex = try Regex("^(?:" + source + ")$")
        } catch {
            throw PatternError(pattern: source, reason: "\(error)")
        }
        let plain = source.unicodeScalars.allSatisfy {
            $0 == "|" || $0 == "_" || $0 == "-" || $0 == ":" || $0.properties.isAlphabetic
                || ("0"..."9").contains($0)
        }
        literals = plain ? Set(source.split(separator: "|", omittingEmptySubsequences: false).map(String.init)) : nil
    }

    func matches(_ value: String) -> Bool {
        if let literals { return literals.contains(value) }
        if source == ".*" { return true }
        if source == ".+" { return !value.isEmpty }
        return value.wholeMatch(of: regex) != nil
    }

    /// The regex, anchored, for `label_replace`'s capture groups.
    var anchored: Regex<AnyRegexOutput> { regex }

    static func == (left: AnchoredPattern, right: AnchoredPattern) -> Bool { left.source == right.source }
    func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// A regular expression in a matcher that does not compile.
public struct PatternError: Error {
    let pattern: String
    let reason: String
}
