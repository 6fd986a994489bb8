/// Renders OpenMetrics text 1.0.0.
public enum OpenMetricsText {
    /// The families as OpenMetrics: `# TYPE`, `# UNIT`, `# HELP` by family name; counters as `_total` and
    /// `_created`; histograms with `_created`; ending in `# EOF`.
    public static func render(_ families: [FamilySnapshot]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(families.reduce(0) { $0 + 96 + $1.series.count * 96 })
        for family in families {
            let descriptor = family.descriptor
            let familyName = descriptor.familyName
            bytes += "# TYPE ".utf8
            bytes += familyName.utf8
            bytes.append(UInt8(ascii: " "))
            bytes += descriptor.kind.rawValue.utf8
            bytes.append(UInt8(ascii: "\n"))
            if let unit = descriptor.unit {
                bytes += "# UNIT ".utf8
                bytes += familyName.utf8
                bytes.append(UInt8(ascii: " "))
                bytes += unit.utf8
                bytes.append(UInt8(ascii: "\n"))
            }
            bytes += "# HELP ".utf8
            bytes += familyName.utf8
            bytes.append(UInt8(ascii: " "))
            PrometheusText.appendEscapedHelp(descriptor.help, to: &bytes, escapeQuotes: true)
            bytes.append(UInt8(ascii: "\n"))
            for series in family.series {
                switch series.value {
                case .counter(let value):
                    PrometheusText.appendSample(
                        familyName + "_total", labels: series.renderedLabels, value: value, to: &bytes)
                    appendCreated(familyName, series: series, to: &bytes)
                case .gauge(let value):
                    PrometheusText.appendSample(familyName, labels: series.renderedLabels, value: value, to: &bytes)
                case .histogram(let bounds, let counts, let sum):
                    PrometheusText.appendHistogram(
                        familyName, labels: series.renderedLabels, bounds: bounds, counts: counts, sum: sum, to: &bytes)
                    appendCreated(familyName, series: series, to: &bytes)
                }
            }
        }
        bytes += "# EOF\n".utf8
        return bytes
    }

    private static func appendCreated(_ familyName: String, series: SeriesSnapshot, to bytes: inout [UInt8]) {
        guard let created = series.created else { return }
        bytes += familyName.utf8
        bytes += "_created".utf8
        bytes += series.renderedLabels
        bytes.append(UInt8(ascii: " "))
        bytes += created.description.utf8
        bytes.append(UInt8(ascii: "\n"))
    }
}
