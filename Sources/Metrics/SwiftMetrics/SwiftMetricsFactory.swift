public import CoreMetrics
import Synchronization

/// A swift-metrics backend: after `MetricsSystem.bootstrap(SwiftMetricsFactory(registry: registry))`,
/// `Counter`, `FloatingPointCounter`, `Meter`/`Gauge`, `Recorder` and `Timer` from any library are
/// series in `registry`, exposed with everything else.
///
/// How swift-metrics instruments map to families:
/// - a label becomes a metric name by replacing characters Prometheus does not allow with `_`
///   (`http.requests` → `http_requests`); dimensions become labels, sorted by name;
/// - `Counter` and `FloatingPointCounter` → counter `NAME_total` (`_total` is not doubled);
/// - `Meter`, `Gauge` and `Recorder(aggregate: false)` → gauge `NAME`;
/// - `Recorder(aggregate: true)` → histogram `NAME` with ``Configuration/recorderBuckets``;
/// - `Timer` → histogram `NAME_seconds` in seconds with ``Configuration/timerBuckets``.
///
/// An instrument the registry cannot hold (the same name with another kind or other dimension names)
/// is dropped rather than crashing its library: it is counted in `jobkit_swift_metrics_rejected_total`
/// and the error is kept in ``lastRejection``.
///
/// The handlers update the registry's lock-free instruments directly, in place of swift-metrics' default
/// lock-based wrappers for floating-point counters and meters.
public final class SwiftMetricsFactory: MetricsFactory, Sendable {
    /// How instruments are turned into families.
    public struct Configuration: Sendable {
        /// Buckets of `Timer` histograms, in seconds (client_golang's defaults).
        public var timerBuckets: Buckets
        /// Buckets of aggregating `Recorder` histograms (client_golang's defaults).
        public var recorderBuckets: Buckets

        public init(timerBuckets: Buckets = .prometheusDefault, recorderBuckets: Buckets = .prometheusDefault) {
            self.timerBuckets = timerBuckets
            self.recorderBuckets = recorderBuckets
        }
    }

    public let registry: MetricsRegistry
    public let configuration: Configuration
    private let rejected: Counter
    private let lastRejectionStorage = Mutex<MetricsError?>(nil)

    /// - Throws: ``MetricsError`` if `registry` already has `jobkit_swift_metrics_rejected_total` as another kind.
    public init(registry: MetricsRegistry, configuration: Configuration = Configuration()) throws {
        self.registry = registry
        self.configuration = configuration
        self.rejected =
            try registry.counter(
                "jobkit_swift_metrics_rejected_total",
                help: "swift-metrics instruments dropped because their name or labels conflict with another family."
            ).unlabelled
    }

    /// The most recent registration the registry refused, if any.
    public var lastRejection: MetricsError? { lastRejectionStorage.withLock { $0 } }

    // MARK: - MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        counterHandler(label: label, dimensions: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        counterHandler(label: label, dimensions: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        gaugeHandler(label: label, dimensions: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return gaugeHandler(label: label, dimensions: dimensions) }
        let name = SwiftMetricsNaming.metricName(label)
        return histogramHandler(
            name: name, help: "Recorder \"\(label)\" from swift-metrics.", unit: nil,
            buckets: configuration.recorderBuckets, dimensions: dimensions, scale: 1)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let name = SwiftMetricsNaming.withSuffix(SwiftMetricsNaming.metricName(label), "_seconds")
        return histogramHandler(
            name: name, help: "Timer \"\(label)\" from swift-metrics.", unit: "seconds",
            buckets: configuration.timerBuckets, dimensions: dimensions, scale: 1e-9)
    }

    public func destroyCounter(_ handler: any CounterHandler) { (handler as? any DestroyableHandler)?.destroy() }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        (handler as? any DestroyableHandler)?.destroy()
    }
    public func destroyMeter(_ handler: any MeterHandler) { (handler as? any DestroyableHandler)?.destroy() }
    public func destroyRecorder(_ handler: any RecorderHandler) { (handler as? any DestroyableHandler)?.destroy() }
    public func destroyTimer(_ handler: any TimerHandler) { (handler as? any DestroyableHandler)?.destroy() }

    // MARK: - Registration

    private func counterHandler(label: String, dimensions: [(String, String)]) -> SwiftMetricsCounter {
        let labels = SwiftMetricsNaming.labels(dimensions)
        let name = SwiftMetricsNaming.withSuffix(SwiftMetricsNaming.metricName(label), "_total")
        do {
            let family = try registry.counter(
                name, help: "Counter \"\(label)\" from swift-metrics.", labelNames: labels.names)
            return SwiftMetricsCounter(counter: try family.labels(labels.values), family: family, values: labels.values)
        } catch {
            reject(error)
            return SwiftMetricsCounter(counter: nil, family: nil, values: [])
        }
    }

    private func gaugeHandler(label: String, dimensions: [(String, String)]) -> SwiftMetricsGauge {
        let labels = SwiftMetricsNaming.labels(dimensions)
        do {
            let family = try registry.gauge(
                SwiftMetricsNaming.metricName(label), help: "Gauge \"\(label)\" from swift-metrics.",
                labelNames: labels.names)
            return SwiftMetricsGauge(gauge: try family.labels(labels.values), family: family, values: labels.values)
        } catch {
            reject(error)
            return SwiftMetricsGauge(gauge: nil, family: nil, values: [])
        }
    }

    private func histogramHandler(
        name: String, help: String, unit: String?, buckets: Buckets, dimensions: [(String, String)], scale: Double
    ) -> SwiftMetricsHistogram {
        let labels = SwiftMetricsNaming.labels(dimensions)
        do {
            let family = try registry.histogram(
                name, help: help, labelNames: labels.names, buckets: buckets, unit: unit)
            return SwiftMetricsHistogram(
                histogram: try family.labels(labels.values), family: family, values: labels.values, scale: scale)
        } catch {
            reject(error)
            return SwiftMetricsHistogram(histogram: nil, family: nil, values: [], scale: scale)
        }
    }

    /// Counts a refused registration and keeps its error.
    private func reject(_ error: any Error) {
        rejected.increment()
        if let error = error as? MetricsError { lastRejectionStorage.withLock { $0 = error } }
    }
}

/// How swift-metrics labels and dimensions become Prometheus names.
enum SwiftMetricsNaming {
    /// `label` with every character outside `[a-zA-Z0-9_:]` replaced by `_`, and `_` before a leading digit.
    static func metricName(_ label: String) -> String {
        sanitize(label, allowColon: true)
    }

    /// Dimensions as label names and values, sorted by name, names sanitized like metric names (without `:`).
    static func labels(_ dimensions: [(String, String)]) -> (names: [String], values: [String]) {
        let sorted = dimensions.map { (sanitize($0.0, allowColon: false), $0.1) }.sorted { $0.0 < $1.0 }
        return (sorted.map(\.0), sorted.map(\.1))
    }

    /// `name` ending in `suffix`, appended unless already there.
    static func withSuffix(_ name: String, _ suffix: String) -> String {
        name.hasSuffix(suffix) ? name : name + suffix
    }

    private static func sanitize(_ text: String, allowColon: Bool) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let allowed =
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || (allowColon && scalar == ":")
            scalars.append(allowed ? scalar : "_")
        }
        if scalars.isEmpty || ("0"..."9").contains(scalars.first!) { scalars.insert("_", at: scalars.startIndex) }
        return String(scalars)
    }
}
