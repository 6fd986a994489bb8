/// The values of one family at one moment, ready to render.
public struct FamilySnapshot: Sendable {
    public var descriptor: MetricDescriptor
    /// Sorted by label values.
    public var series: [SeriesSnapshot]

    public init(descriptor: MetricDescriptor, series: [SeriesSnapshot]) {
        self.descriptor = descriptor
        self.series = series
    }
}

/// One series' labels and value.
public struct SeriesSnapshot: Sendable {
    /// The series' labels, shared with the registry, so a snapshot copies no strings.
    let identity: SeriesIdentity
    public var value: SeriesValue

    /// Label values in the order of the family's label names.
    public var labelValues: [String] { identity.labelValues }
    /// `{name="value",…}`, escaped; empty without labels.
    public var renderedLabels: [UInt8] { identity.renderedLabels }
    /// Seconds since the Unix epoch the series was created (counters and histograms).
    public var created: Double? { identity.created }

    init(identity: SeriesIdentity, value: SeriesValue) {
        self.identity = identity
        self.value = value
    }

    public init(labelValues: [String], renderedLabels: [UInt8], value: SeriesValue, created: Double? = nil) {
        self.init(
            identity: SeriesIdentity(labelValues: labelValues, renderedLabels: renderedLabels, created: created),
            value: value)
    }

    /// A series whose labels are rendered from names and values (for collectors).
    public init(labels: [(name: String, value: String)], value: SeriesValue, created: Double? = nil) {
        self.init(
            labelValues: labels.map(\.value),
            renderedLabels: renderLabelSet(names: labels.map(\.name), values: labels.map(\.value)),
            value: value, created: created)
    }
}

/// A series' value by kind.
public enum SeriesValue: Sendable, Equatable {
    case counter(Double)
    case gauge(Double)
    /// Cumulative counts per finite bound of `buckets`, then `+Inf` (the total count).
    case histogram(buckets: Buckets, cumulativeCounts: [UInt64], sum: Double)
}

/// A series' labels, rendered once, and how to read its value; one object per series, shared by snapshots.
final class SeriesIdentity: Sendable {
    let labelValues: [String]
    let renderedLabels: [UInt8]
    let created: Double?
    /// The instrument, for series the registry owns; `nil` for collectors' one-off series.
    let reader: (any SeriesReader)?
    /// `renderedLabels` outside reference counting, for the exposition loop.
    nonisolated(unsafe) let labelBytes: UnsafeMutableRawBufferPointer

    init(labelValues: [String], renderedLabels: [UInt8], created: Double?, reader: (any SeriesReader)? = nil) {
        self.labelValues = labelValues
        self.renderedLabels = renderedLabels
        self.created = created
        self.reader = reader
        labelBytes = .allocate(byteCount: renderedLabels.count, alignment: 1)
        labelBytes.copyBytes(from: renderedLabels)
    }

    deinit { labelBytes.deallocate() }
}

/// An instrument whose current value can be read for exposition.
protocol SeriesReader: AnyObject, Sendable {
    func seriesValue() -> SeriesValue
    /// When the series was created, for OpenMetrics `_created`.
    var createdTime: Double? { get }
}
