import Synchronization

/// The kind of a metric family.
public enum MetricKind: String, Sendable, Hashable, Codable {
    case counter, gauge, histogram
}

/// What identifies a family: two registrations with equal descriptors share the family.
public struct MetricDescriptor: Sendable, Hashable {
    /// The name as exposed in the text format (counters end in `_total`).
    public let name: String
    public let help: String
    public let kind: MetricKind
    /// Base unit such as `seconds` or `bytes`; the name ends with it.
    public let unit: String?
    public let labelNames: [String]
    /// Bucket bounds, for histograms.
    public let buckets: Buckets?

    public init(
        name: String,
        help: String,
        kind: MetricKind,
        unit: String? = nil,
        labelNames: [String] = [],
        buckets: Buckets? = nil
    ) {
        self.name = name
        self.help = help
        self.kind = kind
        self.unit = unit
        self.labelNames = labelNames
        self.buckets = buckets
    }
}

/// A named metric with a fixed set of label names, and its children, one per combination of label values.
///
/// Resolve a child once and keep it: resolution takes a lock, the child's operations do not.
///
/// ```swift
/// let tasks = try registry.counter("jobkit_tasks_total", help: "Tasks finished.", labelNames: ["job_type", "outcome"])
/// let extractFailures = try tasks.labels("extract", "failure")   // once
/// extractFailures.increment()                                     // on the hot path
/// ```
public final class MetricFamily<Child: Sendable & AnyObject>: Sendable {
    public let descriptor: MetricDescriptor
    private let state: Mutex<State>
    private let make: @Sendable () -> Child

    private struct State {
        var children: [[String]: Child] = [:]
        var identities: [[String]: SeriesIdentity] = [:]
        /// Series sorted by label values; rebuilt only after a child is added or removed.
        var sorted: [SeriesIdentity]? = []
    }

    init(descriptor: MetricDescriptor, make: @escaping @Sendable () -> Child) {
        self.descriptor = descriptor
        self.make = make
        self.state = Mutex(State())
        if descriptor.labelNames.isEmpty {
            // Families without labels are exposed (at zero) from the start.
            _ = try? labels([])
        }
    }

    /// The child for these label values, in the order of the family's label names.
    ///
    /// - Throws: ``MetricsError`` (`.labelMismatch`) if the number of values is wrong.
    public func labels(_ values: String...) throws -> Child {
        try labels(values)
    }

    /// The child for these label values, in the order of the family's label names.
    ///
    /// - Throws: ``MetricsError`` (`.labelMismatch`) if the number of values is wrong.
    public func labels(_ values: [String]) throws -> Child {
        guard values.count == descriptor.labelNames.count else {
            throw MetricsError(
                .labelMismatch, metric: descriptor.name,
                "expects \(descriptor.labelNames.count) label values (\(descriptor.labelNames.joined(separator: ", "))), got \(values.count)"
            )
        }
        return state.withLock { state in
            if let child = state.children[values] { return child }
            let child = make()
            let reader = child as? any SeriesReader
            state.children[values] = child
            state.identities[values] = SeriesIdentity(
                labelValues: values, renderedLabels: renderLabelSet(names: descriptor.labelNames, values: values),
                created: reader?.createdTime, reader: reader)
            state.sorted = nil
            return child
        }
    }

    /// The child of a family without labels.
    public var unlabelled: Child {
        // Created in init for label-less families, so this cannot fail there.
        try! labels([])
    }

    /// Removes a child; its series disappears from exposition.
    public func remove(_ values: [String]) {
        state.withLock { state in
            state.identities.removeValue(forKey: values)
            if state.children.removeValue(forKey: values) != nil { state.sorted = nil }
        }
    }

    /// The series sorted by label values; sorting happens only when the set of children changed.
    private func sortedIdentities() -> [SeriesIdentity] {
        state.withLock { state in
            if let sorted = state.sorted { return sorted }
            let sorted = state.identities.values.sorted { $0.labelValues.lexicographicallyPrecedes($1.labelValues) }
            state.sorted = sorted
            return sorted
        }
    }

    /// The family's current values: one series per child, in label-value order.
    func snapshot() -> FamilySnapshot {
        FamilySnapshot(descriptor: descriptor, series: readSeries(sortedIdentities()))
    }
}

/// Reads every series' value; not generic, so it is compiled once for all families.
private func readSeries(_ identities: [SeriesIdentity]) -> [SeriesSnapshot] {
    var series: [SeriesSnapshot] = []
    series.reserveCapacity(identities.count)
    for identity in identities {
        if let reader = identity.reader {
            series.append(SeriesSnapshot(identity: identity, value: reader.seriesValue()))
        }
    }
    return series
}

/// `{name="value",…}` with values escaped, or nothing when there are no labels.
func renderLabelSet(names: [String], values: [String]) -> [UInt8] {
    guard !names.isEmpty else { return [] }
    var bytes: [UInt8] = [UInt8(ascii: "{")]
    for (index, (name, value)) in zip(names, values).enumerated() {
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        bytes += name.utf8
        bytes += "=\"".utf8
        appendEscapedLabelValue(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }
    bytes.append(UInt8(ascii: "}"))
    return bytes
}

/// Escapes `\`, `"` and newline as both exposition formats require.
func appendEscapedLabelValue(_ value: String, to bytes: inout [UInt8]) {
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
        case UInt8(ascii: "\""): bytes += #"\""#.utf8
        case UInt8(ascii: "\n"): bytes += #"\n"#.utf8
        default: bytes.append(byte)
        }
    }
}

public typealias CounterFamily = MetricFamily<Counter>
public typealias GaugeFamily = MetricFamily<Gauge>
public typealias HistogramFamily = MetricFamily<Histogram>
