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
    public var labelValues: [String]
    /// `{name="value",…}`, escaped; empty without labels.
    public var renderedLabels: [UInt8]
    public var value: SeriesValue
    /// Seconds since the Unix epoch the series was created (counters and histograms).
    public var created: Double?

    public init(labelValues: [String], renderedLabels: [UInt8], value: SeriesValue, created: Double? = nil) {
        self.labelValues = labelValues
        self.renderedLabels = renderedLabels
        self.value = value
        self.created = created
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
    /// Cumulative counts per finite bound, then `+Inf` (the total count).
    case histogram(bounds: [Double], cumulativeCounts: [UInt64], sum: Double)
}
