/// A series' labels by name, its metric name under `__name__`. An absent label and an empty one are the same.
public typealias Labels = [String: String]

extension Dictionary where Key == String, Value == String {
    /// The labels without the metric name.
    var droppingName: Labels {
        var copy = self
        copy["__name__"] = nil
        return copy
    }

    /// `{a="1", b="2"}`, sorted by name, as Prometheus prints a label set.
    public var promQLDescription: String {
        "{" + keys.sorted().map { "\($0)=\"\(self[$0]!)\"" }.joined(separator: ", ") + "}"
    }
}

/// A regular expression that must match a whole label value, as Prometheus' `=~` and `!~` do.
struct AnchoredPattern: @unchecked Sendable, Hashable {
    // @unchecked: the compiled Regex is immutable after init and only used for matching.
    let source: String
    private let regex: Regex<AnyRegexOutput>

    init(_ source: String) throws(PatternError) {
        self.source = source
        do {
            regex = try Regex("^(?:" + source + ")$")
        } catch {
            throw PatternError(pattern: source, reason: "\(error)")
        }
    }

    func matches(_ value: String) -> Bool { value.wholeMatch(of: regex) != nil }

    static func == (left: AnchoredPattern, right: AnchoredPattern) -> Bool { left.source == right.source }
    func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// A regular expression in a matcher that does not compile.
struct PatternError: Error {
    let pattern: String
    let reason: String
}
