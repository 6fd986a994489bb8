import JobkitSupport
/// Metrics as one JSON document, for API clients that would rather not parse the text format.
///
/// ```json
/// {"families": [
///   {"name": "jobkit_tasks_total", "type": "counter", "help": "…", "unit": null,
///    "series": [{"labels": {"job_type": "ingest", "outcome": "succeeded"}, "value": 3}]},
///   {"name": "jobkit_task_duration_seconds", "type": "histogram", "help": "…", "unit": "seconds",
///    "series": [{"labels": {"job_type": "ingest"}, "count": 3, "sum": 0.42,
///                "buckets": [{"le": 0.005, "count": 0}, …, {"le": "+Inf", "count": 3}]}]}
/// ]}
/// ```
///
/// Families and series come in the same sorted order as the text formats. Values that JSON cannot hold
/// as numbers are the strings `"+Inf"`, `"-Inf"` and `"NaN"`.
public enum JSONSnapshot {
    /// The `Content-Type` of the document.
    public static let contentType = "application/json"

    /// Renders `families` as the JSON document above, ending in a newline.
    public static func render(_ families: [FamilySnapshot]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(families.count * 256)
        out += #"{"families":["#.utf8
        for (familyIndex, family) in families.enumerated() {
            if familyIndex > 0 { out.append(UInt8(ascii: ",")) }
            let descriptor = family.descriptor
            out += #"{"name":"#.utf8
            JSONText.appendString(descriptor.name, to: &out)
            out += #","type":"#.utf8
            JSONText.appendString(descriptor.kind.rawValue, to: &out)
            out += #","help":"#.utf8
            JSONText.appendString(descriptor.help, to: &out)
            out += #","unit":"#.utf8
            if let unit = descriptor.unit { JSONText.appendString(unit, to: &out) } else { out += "null".utf8 }
            out += #","series":["#.utf8
            for (seriesIndex, series) in family.series.enumerated() {
                if seriesIndex > 0 { out.append(UInt8(ascii: ",")) }
                appendSeries(series, labelNames: descriptor.labelNames, to: &out)
            }
            out += "]}".utf8
        }
        out += "]}\n".utf8
        return out
    }

    private static func appendSeries(_ series: SeriesSnapshot, labelNames: [String], to out: inout [UInt8]) {
        out += #"{"labels":{"#.utf8
        for (index, (name, value)) in zip(labelNames, series.labelValues).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendString(value, to: &out)
        }
        out += "},".utf8
        switch series.value {
        case .counter(let value), .gauge(let value):
            out += #""value":"#.utf8
            appendNumber(value, to: &out)
        case .histogram(let buckets, let cumulativeCounts, let sum):
            let bounds = buckets.bounds
            out += #""count":"#.utf8
            NumberFormatting.appendUnsigned(cumulativeCounts.last ?? 0, to: &out)
            out += #","sum":"#.utf8
            appendNumber(sum, to: &out)
            out += #","buckets":["#.utf8
            for (index, count) in cumulativeCounts.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += #"{"le":"#.utf8
                appendNumber(index < bounds.count ? bounds[index] : .infinity, to: &out)
                out += #","count":"#.utf8
                NumberFormatting.appendUnsigned(count, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        if value.isFinite {
            NumberFormatting.appendValue(value, to: &out)
        } else {
            out.append(UInt8(ascii: "\""))
            NumberFormatting.appendValue(value, to: &out)
            out.append(UInt8(ascii: "\""))
        }
    }
}
