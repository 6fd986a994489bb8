/// Renders OpenMetrics text 1.0.0.
public enum OpenMetricsText {
    /// The families as OpenMetrics: `# TYPE`, `# UNIT`, `# HELP` by family name; counters as `_total` and
    /// `_created`; histograms with `_created`; ending in `# EOF`.
    public static func render(_ families: [FamilySnapshot]) -> [UInt8] {
        let end: StaticString = "# EOF\n"
        let capacity = families.reduce(end.utf8CodeUnitCount) { $0 + ExpositionSize.estimate($1) }
        return BufferWriter.render(capacity: capacity) { bytes in
            for family in families { render(family, to: &bytes) }
            bytes.append(end)
        }
    }

    private static func render(_ family: FamilySnapshot, to bytes: inout BufferWriter) {
        let descriptor = family.descriptor
        let name = Array(descriptor.familyName.utf8)
        bytes.append("# TYPE ")
        bytes.append(name)
        bytes.append(UInt8(ascii: " "))
        bytes.append(descriptor.kind.rawValue)
        bytes.append(UInt8(ascii: "\n"))
        if let unit = descriptor.unit {
            bytes.append("# UNIT ")
            bytes.append(name)
            bytes.append(UInt8(ascii: " "))
            bytes.append(unit)
            bytes.append(UInt8(ascii: "\n"))
        }
        bytes.append("# HELP ")
        bytes.append(name)
        bytes.append(UInt8(ascii: " "))
        PrometheusText.appendEscapedHelp(descriptor.help, to: &bytes, escapeQuotes: true)
        bytes.append(UInt8(ascii: "\n"))
        let total = name + "_total".utf8
        let created = name + "_created".utf8
        let histogramNames = PrometheusText.SampleNames(name)
        family.series.withUnsafeBufferPointer { series in
            for index in series.indices {
                let identity = series[index].identity
                let labels = UnsafeRawBufferPointer(identity.labelBytes)
                switch series[index].value {
                case .counter(let value):
                    PrometheusText.appendSample(total, labels: labels, value: value, to: &bytes)
                    appendCreated(created, labels: labels, time: identity.created, to: &bytes)
                case .gauge(let value):
                    PrometheusText.appendSample(name, labels: labels, value: value, to: &bytes)
                case .histogram(let buckets, let counts, let sum):
                    PrometheusText.appendHistogram(
                        histogramNames, labels: labels, buckets: buckets, counts: counts, sum: sum, to: &bytes)
                    appendCreated(created, labels: labels, time: identity.created, to: &bytes)
                }
            }
        }
    }

    private static func appendCreated(
        _ name: [UInt8], labels: UnsafeRawBufferPointer, time: Double?, to bytes: inout BufferWriter
    ) {
        guard let created = time else { return }
        bytes.append(name)
        bytes.append(bytes: labels)
        bytes.append(UInt8(ascii: " "))
        NumberFormatting.appendTimestamp(created, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }
}
