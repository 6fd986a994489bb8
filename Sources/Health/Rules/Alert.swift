/// An alert of an alerting rule: one label set its expression returned.
public struct Alert: Sendable, Hashable {
    /// `pending` until the rule's `for` has passed, then `firing`; `inactive` once resolved.
    public enum State: String, Sendable, Hashable, Codable {
        case pending, firing, inactive
    }

    /// The alert's labels, `alertname` included.
    public var labels: Labels
    public var annotations: [String: String]
    public var state: State
    /// When the expression first returned this label set (milliseconds since the Unix epoch).
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    public var keepFiringSince: Int64?
    /// The expression's value at the latest evaluation.
    public var value: Double
    /// The rule's group, and the rule's expression as written.
    public var group: String
    public var expression: String
    var lastSentAt: Int64?
    var validUntil: Int64?

    public var name: String { labels["alertname"] ?? "" }
}

/// An alert changing state, as the event stream and the log report it.
public struct AlertTransition: Sendable, Hashable {
    public var alert: Alert
    /// `nil` for a new alert.
    public var from: Alert.State?
    /// `inactive` means resolved (from firing) or dropped (from pending).
    public var to: Alert.State
}

extension Alert {
    /// The alert as Prometheus sends it out: each external label it does not have already added.
    public func adding(externalLabels: Labels) -> Alert {
        var alert = self
        for (name, value) in externalLabels where alert.labels[name] == nil { alert.labels[name] = value }
        return alert
    }
}
