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
        let store = SeriesStore(retentionMilliseconds: 300 * Self.second)
        var sizes: [Int] = []
        for tick in 0..<2000 {
            store.write([(LabelSet(["__name__": "g"]), Double(tick))], writer: SeriesStore.registryWriter, at: Int64(tick) * Self.second)
            sizes.append(store.size.samples)
        }
        // 0 s to 300 s inclusive, plus at most one compressed chunk (120 samples) partly older.
        #expect(sizes[400...].allSatisfy { $0 >= 301 && $0 <= 301 + 120 })
        #expect(sizes[400...].max() == sizes[1000...].max())
        #expect(points(store, "g", from: 1699 * Self.second).first?.first?.time == 1699 * Self.second)
    }

    /// Samples come back bit for bit from their compressed chunks: irregular times, NaN, infinities,
    /// staleness markers, large and tiny values, long runs of one value.
    @Test func compressedSamplesComeBackExactly() throws {
        let store = SeriesStore(retentionMilliseconds: .max / 4)
        var time: Int64 = 1_700_000_000_000
        var written: [SamplePoint] = []
        var random = SystemRandomNumberGenerator()
        let specials = [Double.nan, .infinity, -.infinity, SamplePoint.staleValue, 0, -0.0, 1e308, Double.leastNonzeroMagnitude, 42]
        for index in 0..<1000 {
            time += [1000, 1000, 1000, 1001, 999, 15_000, 1, 86_400_000, 3][index % 9]
            let value: Double =
                switch index % 5 {
                case 0: specials[index % specials.count]
                case 1: Double(index / 50)
                case 2: Double.random(in: -1e6...1e6, using: &random)
                default: Double(index) * 0.1
                }
            written.append(SamplePoint(time: time, value: value))
            store.append(LabelSet(["__name__": "x"]), written.last!)
        }
        let read = try #require(points(store, "x").first)
        #expect(read.map(\.time) == written.map(\.time))
        #expect(read.map(\.value.bitPattern) == written.map(\.value.bitPattern))
    }

    /// `rate`'s summaries from the store (kept per chunk, edges decoded) equal those of the decoded
    /// samples, for windows that start and end inside chunks, on chunk edges and past the samples:
    /// counter resets inside chunks and across their edges, NaN, and a staleness marker.
    @Test func chunkSummariesAgreeWithTheDecodedSamples() throws {
        let store = SeriesStore(retentionMilliseconds: .max / 4)
        let labels = LabelSet(["__name__": "c_total"])
        var value = 0.0
        for tick in 0..<500 {
            value += Double(tick % 7)
            // Resets at 119/120 (a chunk edge), inside chunks, a NaN and a staleness marker.
            if tick == 120 || tick == 200 || tick % 97 == 0 { value = Double(tick % 5) }
            let written = tick == 333 ? Double.nan : tick == 410 ? SamplePoint.staleValue : value
            store.append(labels, SamplePoint(time: Int64(tick) * Self.second, value: written))
        }
        let matchers = [try LabelMatcher(name: "__name__", kind: .equal, value: "c_total")]
        let edges: [Int64] = [-5, 0, 1, 60, 119, 120, 121, 239, 240, 300, 333, 359, 360, 409, 410, 411, 499, 500, 900]
        var compared = 0
        for start in edges {
            for end in edges where end >= start {
                let (from, to) = (start * Self.second, end * Self.second)
                let decoded = store.series(matching: matchers, from: from, to: to).first.flatMap { series in
                    RangeSummary(series.points.filter { $0.time >= from && $0.time <= to && !$0.isStale })
                }
                var summarized: RangeSummary?
                store.forEachSummary(matching: matchers, from: from, to: to) { summarized = $1 }
                #expect(Self.bits(summarized) == Self.bits(decoded), "window \(start) s to \(end) s")
                compared += decoded == nil ? 0 : 1
            }
        }
        #expect(compared > 100)
    }

    /// A summary as bit patterns, so NaN compares equal to itself.
    static func bits(_ summary: RangeSummary?) -> [UInt64]? {
        summary.map { summary in
            [UInt64(bitPattern: summary.first.time), summary.first.value.bitPattern, UInt64(bitPattern: summary.last.time),
             summary.last.value.bitPattern, UInt64(summary.count)] + summary.corrections.map(\.bitPattern)
        }
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
