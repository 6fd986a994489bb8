import JobkitSupport
/// A wire format for metrics, chosen from the scraper's `Accept` header.
public enum ExpositionFormat: Sendable, Hashable {
    /// Prometheus text format 0.0.4, the default.
    case prometheusText
    /// OpenMetrics text 1.0.0.
    case openMetrics

    /// The `Content-Type` header value of this format.
    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format an `Accept` header prefers by q-value; text 0.0.4 when it names neither (or nothing).
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheusText }
        var best: (format: ExpositionFormat, quality: Double)?
        for entry in QualityListEntry.parse(accept) {
            let (mediaType, quality, version) = (entry.token, entry.quality, entry.parameters["version"])
            let format: ExpositionFormat?
            switch mediaType {
            case "application/openmetrics-text":
                // Only 1.0.0 is spoken; 0.0.1 is close enough to be served the same text.
                format = (version == nil || version == "1.0.0" || version == "0.0.1") ? .openMetrics : nil
            case "text/plain", "text/*", "*/*":
                format = .prometheusText
            default:
                format = nil
            }
            guard let format, quality > 0 else { continue }
            if best == nil || quality > best!.quality { best = (format, quality) }
        }
        return best?.format ?? .prometheusText
    }

    /// Renders `families` in this format.
    public func render(_ families: [FamilySnapshot]) -> [UInt8] {
        switch self {
        case .prometheusText: PrometheusText.render(families)
        case .openMetrics: OpenMetricsText.render(families)
        }
    }
}
