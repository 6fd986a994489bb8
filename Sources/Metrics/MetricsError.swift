/// An error from the metrics registry: a bad name, a label mismatch, a conflicting registration.
///
/// The message names the metric (and the label or kind) so it can be shown as is.
public struct MetricsError: Error, CustomStringConvertible, Sendable {
    /// What went wrong. New codes may be added; match with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidName, invalidLabelName, labelMismatch, kindConflict, invalidBuckets, invalidUnit
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A metric name outside `[a-zA-Z_][a-zA-Z0-9_]*`, or a counter without `_total`.
        public static let invalidName = Code(.invalidName)
        /// A label name outside `[a-zA-Z_][a-zA-Z0-9_]*`, starting with `__`, or reserved (`le`, `quantile`).
        public static let invalidLabelName = Code(.invalidLabelName)
        /// The number of label values differs from the family's label names.
        public static let labelMismatch = Code(.labelMismatch)
        /// The name is registered already with another kind, help, unit or label set.
        public static let kindConflict = Code(.kindConflict)
        /// Histogram buckets that are empty, not increasing, or not finite.
        public static let invalidBuckets = Code(.invalidBuckets)
        /// A unit the metric name does not end with.
        public static let invalidUnit = Code(.invalidUnit)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The metric the error is about.
    public var metric: String
    /// A sentence for people.
    public var message: String

    public init(_ code: Code, metric: String, _ message: String) {
        self.code = code
        self.metric = metric
        self.message = message
    }

    public var description: String { "\(code) for '\(metric)': \(message)" }
}
