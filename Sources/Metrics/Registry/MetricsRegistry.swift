import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Holds metric families and produces consistent snapshots of them for exposition.
///
/// Registering the same name again with the same kind, help, unit, labels and buckets returns the
/// existing family; anything else with that name is a conflict and throws.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let duration = try registry.histogram(
///     "jobkit_task_duration_seconds", help: "Run time of task attempts.", labelNames: ["job_type"],
///     buckets: .longJobs, unit: "seconds")
/// try duration.labels("extract").observe(2.5)
/// let text = PrometheusText.render(registry.collect())
/// ```
public final class MetricsRegistry: Sendable {
    private struct Entry {
        let descriptor: MetricDescriptor
        let family: any CollectableFamily
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let collectors = Mutex<[any MetricsCollector]>([])
    private let wallClock: @Sendable () -> Double
    /// Stripes of new histograms.
    public let histogramStripes: Int

    /// - Parameters:
    ///   - histogramStripes: copies of each histogram's counts owned by one observing thread each; threads
    ///     beyond that many share one more copy (0: every thread shares it).
    ///   - wallClock: seconds since the Unix epoch, for `_created` (inject a fixed one in golden tests).
    public init(
        histogramStripes: Int = Histogram.defaultStripes,
        wallClock: @escaping @Sendable () -> Double = MetricsRegistry.systemWallClock
    ) {
        precondition(histogramStripes >= 0, "histogram stripes cannot be negative")
        self.histogramStripes = histogramStripes
        self.wallClock = wallClock
    }

    /// The system's real-time clock in seconds since the Unix epoch.
    public static let systemWallClock: @Sendable () -> Double = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Registers (or finds) a counter family. The name must end in `_total`.
    ///
    /// - Throws: ``MetricsError`` for a bad name, unit or label name, or a conflicting registration.
    public func counter(
        _ name: String,
        help: String,
        labelNames: [String] = [],
        unit: String? = nil
    ) throws -> CounterFamily {
        let descriptor = MetricDescriptor(
            name: name, help: help, kind: .counter, unit: unit, labelNames: labelNames, buckets: nil)
        let wallClock = self.wallClock
        return try register(descriptor) {
            CounterFamily(descriptor: descriptor) { Counter(created: wallClock()) }
        }
    }

    /// Registers (or finds) a gauge family.
    ///
    /// - Throws: ``MetricsError`` for a bad name, unit or label name, or a conflicting registration.
    public func gauge(
        _ name: String,
        help: String,
        labelNames: [String] = [],
        unit: String? = nil
    ) throws -> GaugeFamily {
        let descriptor = MetricDescriptor(
            name: name, help: help, kind: .gauge, unit: unit, labelNames: labelNames, buckets: nil)
        return try register(descriptor) {
            GaugeFamily(descriptor: descriptor) { Gauge() }
        }
    }

    /// Registers (or finds) a histogram family.
    ///
    /// - Throws: ``MetricsError`` for a bad name, unit or label name (`le` is reserved), or a conflicting registration.
    public func histogram(
        _ name: String,
        help: String,
        labelNames: [String] = [],
        buckets: Buckets = .prometheusDefault,
        unit: String? = nil
    ) throws -> HistogramFamily {
        let descriptor = MetricDescriptor(
            name: name, help: help, kind: .histogram, unit: unit, labelNames: labelNames, buckets: buckets)
        let wallClock = self.wallClock
        let stripes = histogramStripes
        return try register(descriptor) {
            HistogramFamily(descriptor: descriptor) {
                Histogram(buckets: buckets, stripes: stripes, created: wallClock())
            }
        }
    }

    /// Adds a collector whose families are read at every collection (process metrics, scheduler gauges).
    public func register(collector: any MetricsCollector) {
        collectors.withLock { $0.append(collector) }
    }

    /// A snapshot of every family, sorted by name, series sorted by label values.
    public func collect() -> [FamilySnapshot] {
        let families = entries.withLock { Array($0.values) }
        let collected = collectors.withLock { $0 }.flatMap { $0.collect() }
        return (families.map { $0.family.snapshot() } + collected).sorted { $0.descriptor.name < $1.descriptor.name }
    }

    private func register<Family: CollectableFamily>(
        _ descriptor: MetricDescriptor,
        make: () -> Family
    ) throws -> Family {
        try Self.validate(descriptor)
        let key = descriptor.familyName
        return try entries.withLock { entries in
            if let existing = entries[key] {
                guard existing.descriptor == descriptor, let family = existing.family as? Family else {
                    throw MetricsError(
                        .kindConflict, metric: descriptor.name,
                        "already registered as \(existing.descriptor.kind) '\(existing.descriptor.name)' with labels [\(existing.descriptor.labelNames.joined(separator: ", "))]; cannot register it again as \(descriptor.kind) with labels [\(descriptor.labelNames.joined(separator: ", "))]"
                    )
                }
                return family
            }
            let family = make()
            entries[key] = Entry(descriptor: descriptor, family: family)
            return family
        }
    }

    static func validate(_ descriptor: MetricDescriptor) throws {
        let name = descriptor.name
        guard MetricName.isValid(name) else {
            throw MetricsError(.invalidName, metric: name, "metric names match [a-zA-Z_][a-zA-Z0-9_]*")
        }
        if descriptor.kind == .counter {
            guard name.hasSuffix("_total"), name.count > "_total".count else {
                throw MetricsError(.invalidName, metric: name, "counter names end in _total")
            }
        } else if name.hasSuffix("_total") {
            throw MetricsError(.invalidName, metric: name, "only counters end in _total")
        }
        let base = descriptor.familyName
        if let suffix = MetricName.reservedSuffixes.first(where: { base.hasSuffix($0) }) {
            throw MetricsError(.invalidName, metric: name, "names may not end in \(suffix); exposition adds it")
        }
        if let unit = descriptor.unit {
            guard MetricName.isValid(unit), base.hasSuffix("_" + unit) else {
                throw MetricsError(.invalidUnit, metric: name, "the name must end in _\(unit) to have unit '\(unit)'")
            }
        }
        var seen = Set<String>()
        for label in descriptor.labelNames {
            guard MetricName.isValidLabel(label) else {
                throw MetricsError(
                    .invalidLabelName, metric: name,
                    "label '\(label)' must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __")
            }
            guard label != "le", label != "quantile" else {
                throw MetricsError(.invalidLabelName, metric: name, "label '\(label)' is reserved")
            }
            guard seen.insert(label).inserted else {
                throw MetricsError(.invalidLabelName, metric: name, "label '\(label)' is listed twice")
            }
        }
    }
}

extension MetricDescriptor {
    /// The OpenMetrics family name: counters lose `_total`; no two families may share it.
    public var familyName: String {
        kind == .counter && name.hasSuffix("_total") ? String(name.dropLast("_total".count)) : name
    }
}

/// Supplies families computed at collection time, such as process metrics read from /proc.
public protocol MetricsCollector: Sendable {
    /// The families, with their current values.
    func collect() -> [FamilySnapshot]
}

/// A family that can snapshot itself.
protocol CollectableFamily: Sendable {
    func snapshot() -> FamilySnapshot
}

extension MetricFamily: CollectableFamily {}
