import JobkitHealth
import JobkitMetrics
import Testing

/// The rule engine's sample store: what it keeps, for how long, and how series end.
struct SeriesStoreTests {
    static let second: Int64 = 1000

    func points(_ store: SeriesStore, _ name: String, from start: Int64 = .min, to end: Int64 = .max) -> [[SamplePoint]] {
        let matcher = try! LabelMatcher(name: "__name__", kind: .equal, value: name)
        return store.series(matching: [matcher], from: start, to: end).map(\.points)
    }

    @Test func samplesOlderThanTheRetentionAreDroppedAndMemoryStaysFlat() throws {
        let store = SeriesStore(retentionMilliseconds: 10 * Self.second)
        var sizes: [Int] = []
        for tick in 0..<100 {
            store.write([(LabelSet(["__name__": "g"]), Double(tick))], writer: SeriesStore.registryWriter, at: Int64(tick) * Self.second)
            sizes.append(store.size.samples)
        }
        // 0 s to 10 s inclusive: eleven samples once full, and never more.
        #expect(sizes[20...].allSatisfy { $0 == 11 })
        #expect(points(store, "g").first?.first?.time == 89 * Self.second)
    }

    @Test func onlySeriesTheRulesCanReadAreKept() throws {
        let selectors = try ["rate(kept_total[5m])", #"other{job="a"}"#].flatMap { try PromQLParser.parse($0).selectors }
        let store = SeriesStore(retentionMilliseconds: 60 * Self.second, selectors: selectors)
        let samples: [(labels: LabelSet, value: Double)] = [
            (LabelSet(["__name__": "kept_total"]), 1), (LabelSet(["__name__": "dropped_total"]), 1),
            (LabelSet(["__name__": "other", "job": "a"]), 1), (LabelSet(["__name__": "other", "job": "b"]), 1),
        ]
        store.write(samples, writer: SeriesStore.registryWriter, at: 0)
        #expect(store.size.series == 2)
        #expect(points(store, "dropped_total").isEmpty)
    }

    @Test func aSeriesAWriterStopsGivingIsMarkedStaleOnce() throws {
        let store = SeriesStore(retentionMilliseconds: 60 * Self.second)
        let a = LabelSet(["__name__": "g", "x": "a"])
        let b = LabelSet(["__name__": "g", "x": "b"])
        store.write([(a, 1), (b, 1)], writer: 7, at: 0)
        store.write([(a, 2)], writer: 7, at: Self.second)
        store.write([(a, 3)], writer: 7, at: 2 * Self.second)
        let series = store.series(matching: [try LabelMatcher(name: "x", kind: .equal, value: "b")], from: .min, to: .max)
        #expect(series.count == 1)
        #expect(series[0].points.map(\.time) == [0, Self.second])
        #expect(series[0].points.last?.isStale == true)
        // Another writer's output is not the first writer's to end.
        store.write([(LabelSet(["__name__": "r"]), 1)], writer: 8, at: 3 * Self.second)
        store.write([(a, 4)], writer: 7, at: 3 * Self.second)
        #expect(points(store, "r").first?.count == 1)
        // And an instant selector no longer sees b.
        let evaluator = PromQLEvaluator(source: store)
        #expect(try evaluator.evaluate(PromQLParser.parse("g"), at: 3 * Self.second).samples.count == 1)
    }

    @Test func aRegistryScrapeIsNamedAsPrometheusScrapesIt() throws {
        let registry = MetricsRegistry()
        try registry.counter("tasks_total", help: "h", labelNames: ["job"]).labels("a").increment(by: 3)
        try registry.histogram("latency_seconds", help: "h", labelNames: [], buckets: try Buckets([1])).labels().observe(0.5)
        let store = SeriesStore(retentionMilliseconds: 60 * Self.second)
        store.write(registry.collect(), at: 0)
        let evaluator = PromQLEvaluator(source: store)
        func value(_ text: String, at time: Int64 = 0) throws -> Double? {
            try evaluator.evaluate(PromQLParser.parse(text), at: time).samples.first?.value
        }
        #expect(try value(#"tasks_total{job="a"}"#) == 3)
        #expect(try value(#"latency_seconds_bucket{le="1.0"}"#) == 1)
        #expect(try value(#"latency_seconds_bucket{le="+Inf"}"#) == 1)
        #expect(try value("latency_seconds_sum") == 0.5)
        #expect(try value("latency_seconds_count") == 1)
        // A second scrape without the counter ends it.
        store.write([], at: Self.second)
        #expect(try value("tasks_total", at: Self.second) == nil)
        #expect(try value("tasks_total", at: Self.second - 1) == 3)
    }
}
