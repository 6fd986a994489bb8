/// Renders the Prometheus text exposition format, version 0.0.4.
public enum PrometheusText {
    /// The families as text: `# HELP`, `# TYPE`, then samples; histograms as `_bucket`/`_sum`/`_count`.
    public static func render(_ families: [FamilySnapshot]) -> [UInt8] {
        BufferWriter.render(capacity: families.reduce(0) { $0 + ExpositionSize.estimate($1) }) { bytes in
            for family in families { render(family, to: &bytes) }
        }
    }

    private static func render(_ family: FamilySnapshot, to bytes: inout BufferWriter) {
        let name = Array(family.descriptor.name.utf8)
        bytes.append("# HELP ")
        bytes.append(name)
        bytes.append(UInt8(ascii: " "))
        appendEscapedHelp(family.descriptor.help, to: &bytes, escapeQuotes: false)
        bytes.append("\n# TYPE ")
        bytes.append(name)
        bytes.append(UInt8(ascii: " "))
        bytes.append(family.descriptor.kind.rawValue)
        bytes.append(UInt8(ascii: "\n"))
        let names = SampleNames(name)
        family.series.withUnsafeBufferPointer { series in
            for index in series.indices {
                let labels = UnsafeRawBufferPointer(series[index].identity.labelBytes)
                switch series[index].value {
                case .counter(let value), .gauge(let value):
                    appendSample(name, labels: labels, value: value, to: &bytes)
                case .histogram(let buckets, let counts, let sum):
                    appendHistogram(names, labels: labels, buckets: buckets, counts: counts, sum: sum, to: &bytes)
                }
            }
        }
    }

    /// `name{labels} value`.
    @inline(__always)
    static func appendSample(
        _ name: [UInt8], labels: UnsafeRawBufferPointer, value: Double, to bytes: inout BufferWriter
    ) {
        bytes.append(name)
        bytes.append(bytes: labels)
        bytes.append(UInt8(ascii: " "))
        NumberFormatting.appendValue(value, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// The sample names of a histogram family, built once per family.
    struct SampleNames {
        let bucket: [UInt8]
        let sum: [UInt8]
        let count: [UInt8]

        init(_ name: [UInt8]) {
            bucket = name + "_bucket".utf8
            sum = name + "_sum".utf8
            count = name + "_count".utf8
        }
    }

    /// `_bucket` lines with `le` appended to the series' labels, then `_sum` and `_count`.
    static func appendHistogram(
        _ names: SampleNames,
        labels: UnsafeRawBufferPointer,
        buckets: Buckets,
        counts: [UInt64],
        sum: Double,
        to bytes: inout BufferWriter
    ) {
        // The labels without their closing brace, ready for `,le="…"`.
        let open = labels.isEmpty ? nil : UnsafeRawBufferPointer(rebasing: labels.dropLast())
        let bounds = buckets.renderedBounds
        for (index, count) in counts.enumerated() {
            bytes.append(names.bucket)
            if let open {
                bytes.append(bytes: open)
                bytes.append(",le=\"")
            } else {
                bytes.append("{le=\"")
            }
            bytes.append(bounds[min(index, bounds.count - 1)])
            bytes.append("\"} ")
            NumberFormatting.appendUnsigned(count, to: &bytes)
            bytes.append(UInt8(ascii: "\n"))
        }
        appendSample(names.sum, labels: labels, value: sum, to: &bytes)
        bytes.append(names.count)
        bytes.append(bytes: labels)
        bytes.append(UInt8(ascii: " "))
        NumberFormatting.appendUnsigned(counts.last ?? 0, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Escapes `\` and newline (and `"` for OpenMetrics) in HELP text.
    static func appendEscapedHelp(_ help: String, to bytes: inout BufferWriter, escapeQuotes: Bool) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(#"\\"#)
            case UInt8(ascii: "\n"): bytes.append(#"\n"#)
            case UInt8(ascii: "\"") where escapeQuotes: bytes.append(#"\""#)
            default: bytes.append(byte)
            }
        }
    }
}
