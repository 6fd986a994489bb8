/// Something that raises alerts from state it keeps itself rather than from a PromQL expression:
/// watchdogs, health checks. A ``RuleRunner`` evaluates each source's ``alertRule`` over its
/// ``alertSamples()`` with the same lifecycle, events, metrics and notifications as file rules.
public protocol AlertSource: Sendable {
    /// The rule whose alerts the samples are: its name, labels and annotation templates.
    var alertRule: Rule { get }
    /// One sample per alert that should be active now.
    func alertSamples() -> [AlertSample]
}

/// One would-be alert of an ``AlertSource``: labels, a value, and annotations beside the rule's templates
/// (a health check's message, say, which is too changeable to be a label).
public struct AlertSample: Sendable, Hashable {
    public var labels: Labels
    public var value: Double
    public var annotations: [String: String]

    public init(labels: Labels, value: Double, annotations: [String: String] = [:]) {
        self.labels = labels
        self.value = value
        self.annotations = annotations
    }
}

extension Rule {
    /// An alerting rule for an ``AlertSource``: fires as soon as a sample appears (`for: 0`).
    ///
    /// - Parameters:
    ///   - summary: the `summary` annotation's template, such as `"{{ $labels.watchdog }} is late"`.
    ///   - description: what the rule means, shown as its expression in `/v1/alerts` and alert events.
    /// - Throws: ``AlertTemplate`` errors for a template Go's parser refuses.
    public static func native(alertName: String, summary: String, description: String) throws -> Rule {
        var rule = Rule(
            kind: .alert(alertName), expression: .number(0), expressionText: description,
            position: SourcePosition(line: 0, column: 0))
        rule.annotations = [("summary", try AlertTemplate(summary))]
        return rule
    }
}
