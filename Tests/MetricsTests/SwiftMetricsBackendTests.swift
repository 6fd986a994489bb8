import CoreMetrics
import JobkitMetrics
import Metrics
import Testing

/// swift-metrics instruments land in our registry and show in its exposition.
struct SwiftMetricsBackendTests {
    func text(_ registry: MetricsRegistry) -> String {
        String(decoding: PrometheusText.render(registry.collect()), as: UTF8.self)
    }

    @Test func everyInstrumentKindBecomesAFamily() throws {
        let registry = MetricsRegistry()
        let factory = try SwiftMetricsFactory(registry: registry)

        let requests = CoreMetrics.Counter(
            label: "http.requests", dimensions: [("status", "200"), ("method", "GET")], factory: factory)
        requests.increment(by: 3)
        let bytes = FloatingPointCounter(label: "bytes_total", factory: factory)
        bytes.increment(by: 1.5)
        bytes.increment(by: 2.25)
        let inFlight = Meter(label: "in_flight", factory: factory)
        inFlight.set(5)
        inFlight.increment(by: 2)
        inFlight.decrement(by: 1)
        let temperature = Recorder(label: "temperature", aggregate: false, factory: factory)
        temperature.record(21.5)
        let sizes = Recorder(label: "payload_size", factory: factory)
        sizes.record(0.2)
        sizes.record(7)
        let latency = CoreMetrics.Timer(label: "db.query", dimensions: [("table", "jobs")], factory: factory)
        latency.recordMilliseconds(30)
        latency.recordNanoseconds(2_000_000_000)

        let exposition = text(registry)
        #expect(exposition.contains(#"http_requests_total{method="GET",status="200"} 3"#))
        #expect(exposition.contains("# TYPE bytes_total counter\nbytes_total 3.75\n"))
        #expect(exposition.contains("# TYPE in_flight gauge\nin_flight 6\n"))
        #expect(exposition.contains("temperature 21.5\n"))
        #expect(exposition.contains(#"payload_size_bucket{le="0.25"} 1"#))
        #expect(exposition.contains(#"payload_size_bucket{le="10.0"} 2"#))
        #expect(exposition.contains("payload_size_count 2\n"))
        #expect(exposition.contains(#"db_query_seconds_bucket{table="jobs",le="0.05"} 1"#))
        #expect(exposition.contains(#"db_query_seconds_bucket{table="jobs",le="2.5"} 2"#))
        #expect(exposition.contains(#"db_query_seconds_sum{table="jobs"} 2.03"#))
    }

    @Test func resetAndDestroyAreHonoured() throws {
        let registry = MetricsRegistry()
        let factory = try SwiftMetricsFactory(registry: registry)
        let counter = CoreMetrics.Counter(label: "restarts", dimensions: [("unit", "a")], factory: factory)
        counter.increment(by: 4)
        counter.reset()
        counter.increment()
        #expect(text(registry).contains(#"restarts_total{unit="a"} 1"#))
        counter.destroy()
        #expect(!text(registry).contains("restarts_total{"))
    }

    @Test func aConflictingInstrumentIsDroppedAndCountedNotFatal() throws {
        let registry = MetricsRegistry()
        let factory = try SwiftMetricsFactory(registry: registry)
        CoreMetrics.Counter(label: "shared", dimensions: [("a", "1")], factory: factory).increment()
        // Same name, different dimension names: the registry cannot hold both.
        CoreMetrics.Counter(label: "shared", dimensions: [("b", "1")], factory: factory).increment(by: 10)
        // Same name as an existing counter family, as a gauge.
        Meter(label: "shared_total", factory: factory).set(3)

        let exposition = text(registry)
        #expect(exposition.contains(#"shared_total{a="1"} 1"#))
        #expect(exposition.contains("jobkit_swift_metrics_rejected_total 2\n"))
        #expect(factory.lastRejection?.metric == "shared_total")
    }

    @Test func bootstrappingRoutesDefaultInstrumentsIntoTheRegistry() throws {
        // The only test in this target that bootstraps the process-wide metrics system.
        let registry = MetricsRegistry()
        MetricsSystem.bootstrap(try SwiftMetricsFactory(registry: registry))
        CoreMetrics.Counter(label: "library_events", dimensions: [("kind", "x")]).increment(by: 2)
        #expect(text(registry).contains(#"library_events_total{kind="x"} 2"#))
    }
}
