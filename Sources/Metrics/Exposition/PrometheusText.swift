/// Renders the Prometheus text exposition format, version 0.0.4.
public enum PrometheusText {
    /// The families as text: `# HELP`, `# TYPE`, then samples; histograms as `_bucket`/`_sum`/`_count`.
    public static func render(_ families: [FamilySnapshot]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(families.reduce(0) { $0 + 64 + $1.series.count * 64 })
        for family in families {
            let name = family.descriptor.name
            bytes += "# HELP ".utf8
            bytes += name.utf8
            bytes.append(UInt8(ascii: " "))
            appendEscapedHelp(family.descriptor.help, to: &bytes, escapeQuotes: false)
            bytes += "\n# TYPE ".utf8
            bytes += name.utf8
            bytes.append(UInt8(ascii: " "))
            bytes += family.descriptor.kind.rawValue.utf8
            bytes.append(UInt8(ascii: "\n"))
            for series in family.series {
                switch series.value {
                case .counter(let value), .gauge(let value):
                    appendSample(name, labels: series.renderedLabels, value: value, to: &bytes)
                case .histogram(let bounds, let counts, let sum):
                    appendHistogram(
                        name, labels: series.renderedLabels, bounds: bounds, counts: counts, sum: sum, to: &bytes)
                }
            }
        }
        return bytes
    }

    static func appendSample(_ name: String, labels: [UInt8], value: Double, to bytes: inout [UInt8]) {
        bytes += name.utf8
        bytes += labels
        bytes.append(UInt8(ascii: " "))
        NumberFormatting.appendValue(value, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `_bucket` lines with `le` appended to the series' labels, then `_sum` and `_count`.
    static func appendHistogram(
        _ name: String,
        labels: [UInt8],
        bounds: [Double],
        counts: [UInt64],
        sum: Double,
        to bytes: inout [UInt8]
    ) {
        for (index, count) in counts.enumerated() {
            bytes += name.utf8
            bytes += "_bucket".utf8
            if labels.isEmpty {
                bytes += "{le=\"".utf8
            } else {
                bytes += labels.dropLast()
                bytes += ",le=\"".utf8
            }
            NumberFormatting.appendBound(index < bounds.count ? bounds[index] : .infinity, to: &bytes)
            bytes += "\"} ".utf8
            NumberFormatting.appendUnsigned(count, to: &bytes)
            bytes.append(UInt8(ascii: "\n"))
        }
        bytes += name.utf8
        bytes += "_sum".utf8
        bytes += labels
        bytes.append(UInt8(ascii: " "))
        NumberFormatting.appendValue(sum, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        bytes += name.utf8
        bytes += "_count".utf8
        bytes += labels
        bytes.append(UInt8(ascii: " "))
        NumberFormatting.appendUnsigned(counts.last ?? 0, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Escapes `\` and newline (and `"` for OpenMetrics) in HELP text.
    static func appendEscapedHelp(_ help: String, to bytes: inout [UInt8], escapeQuotes: Bool) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
            case UInt8(ascii: "\n"): bytes += #"\n"#.utf8
            case UInt8(ascii: "\"") where escapeQuotes: bytes += #"\""#.utf8
            default: bytes.append(byte)
            }
        }
    }
}
