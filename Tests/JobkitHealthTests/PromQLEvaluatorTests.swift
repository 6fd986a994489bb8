import JobkitHealth
import Testing

/// Worked checks from Prometheus' own test data (promql/testdata, v2.42) and the label rules of its engine.
struct PromQLEvaluatorTests {
    static let minute: Int64 = 60_000

    /// The registry's samples at one moment, as the rule engine writes them to its store.
    struct Scrape {
        var time: Int64
        var samples: [Labels: Double]
    }

    func evaluate(_ text: String, at time: Int64, _ scrapes: [Scrape]) throws -> [PromQLSample] {
        let store = SeriesStore(retentionMilliseconds: 24 * 60 * Self.minute)
        for scrape in scrapes {
            store.write(scrape.samples.map { (LabelSet($0.key), $0.value) }, writer: SeriesStore.registryWriter, at: scrape.time)
        }
        return try PromQLEvaluator(source: store).evaluate(try PromQLParser.parse(text), at: time).samples
    }

    func series(_ name: String, _ labels: Labels = [:]) -> Labels {
        labels.merging(["__name__": name]) { $1 }
    }

    @Test func rateExtrapolatesToTheWindowAndClampsAtZero() throws {
        let counter = series("testcounter")
        let snapshots = [(0, 60.0), (4, 300), (8, 540)].map {
            Scrape(time: Int64($0.0) * Self.minute, samples: [counter: $0.1])
        }
        let rate = try evaluate("rate(testcounter[20m])", at: 10 * Self.minute, snapshots)
        #expect(rate.count == 1)
        #expect(abs(rate[0].value - 0.55) < 1e-12)
        #expect(rate[0].labels == [:])
        let increase = try evaluate("increase(testcounter[20m])", at: 10 * Self.minute, snapshots)
        #expect(abs(increase[0].value - 660) < 1e-9)
    }

    @Test func rateCountsAResetAsARestartFromZero() throws {
        let counter = series("c")
        let snapshots = [(0, 10.0), (1, 20), (2, 5), (3, 15)].map {
            Scrape(time: Int64($0.0) * Self.minute, samples: [counter: $0.1])
        }
        // 10 → 20 (+10), reset to 5 (+5), → 15 (+10): 25 over the samples' 3 minutes, whose ends are the window's.
        let increase = try evaluate("increase(c[3m])", at: 3 * Self.minute, snapshots)
        #expect(abs(increase[0].value - 25) < 1e-9)
    }

    @Test func deltaOfAGaugeHasNoResetsAndMayBeNegative() throws {
        let gauge = series("backlog")
        let snapshots = [(1, 100.0), (2, 80), (3, 70)].map {
            Scrape(time: Int64($0.0) * Self.minute, samples: [gauge: $0.1])
        }
        // -30 over the samples' 2 minutes, extrapolated a minute to each edge of the 4-minute window.
        let delta = try evaluate("delta(backlog[4m])", at: 4 * Self.minute, snapshots)
        #expect(delta.count == 1 && abs(delta[0].value - -60) < 1e-9)
        // increase would read each drop as a counter reset.
        let increase = try evaluate("increase(backlog[4m])", at: 4 * Self.minute, snapshots)
        #expect(increase[0].value > 0)
    }

    @Test func aRangeNeedsTwoSamples() throws {
        let snapshots = [Scrape(time: 0, samples: [series("c"): 1])]
        #expect(try evaluate("rate(c[5m])", at: Self.minute, snapshots).isEmpty)
    }

    @Test func histogramQuantileInterpolatesAfterMakingCountsMonotonic() throws {
        let counts: [(String, Double)] = [("0.1", 20), ("1", 10), ("10", 50), ("100", 40), ("1000", 90), ("+Inf", 80)]
        var samples: [Labels: Double] = [:]
        for (le, count) in counts { samples[series("h_bucket", ["le": le, "job": "x"])] = count }
        let result = try evaluate(
            "histogram_quantile(0.5, h_bucket)", at: 0, [Scrape(time: 0, samples: samples)])
        #expect(result == [PromQLSample(labels: ["job": "x"], value: 8.5)])
    }

    @Test func histogramQuantileEdgeCases() throws {
        let buckets: [Labels: Double] = [
            series("h_bucket", ["le": "1"]): 0, series("h_bucket", ["le": "+Inf"]): 0,
        ]
        let empty = try evaluate(
            "histogram_quantile(0.9, h_bucket)", at: 0, [Scrape(time: 0, samples: buckets)])
        #expect(empty.count == 1 && empty[0].value.isNaN)
        let above = try evaluate("histogram_quantile(2, h_bucket)", at: 0, [Scrape(time: 0, samples: buckets)])
        #expect(above[0].value == .infinity)
    }

    @Test func aggregationsKeepOnlyTheirGroupingLabels() throws {
        let samples: [Labels: Double] = [
            series("t", ["job": "a", "outcome": "ok"]): 3, series("t", ["job": "a", "outcome": "failed"]): 1,
            series("t", ["job": "b", "outcome": "ok"]): 5,
        ]
        let snapshot = [Scrape(time: 0, samples: samples)]
        let byJob = Set(try evaluate("sum by (job) (t)", at: 0, snapshot))
        #expect(byJob == [PromQLSample(labels: ["job": "a"], value: 4), PromQLSample(labels: ["job": "b"], value: 5)])
        let without = Set(try evaluate("max without (outcome) (t)", at: 0, snapshot))
        #expect(
            without == [PromQLSample(labels: ["job": "a"], value: 3), PromQLSample(labels: ["job": "b"], value: 5)])
        #expect(try evaluate("count(t)", at: 0, snapshot) == [PromQLSample(labels: [:], value: 3)])
        // An incremental mean, as Prometheus computes it, so the last bit may differ from 9/3.
        #expect(try abs(evaluate("avg(t)", at: 0, snapshot)[0].value - 3) < 1e-12)
        #expect(try evaluate("min(t) by (outcome)", at: 0, snapshot).count == 2)
    }

    @Test func vectorMatchingTakesLabelsFromTheLeft() throws {
        let samples: [Labels: Double] = [
            series("failed", ["job": "a", "instance": "1"]): 2, series("all", ["job": "a", "instance": "1"]): 8,
            series("all", ["job": "b", "instance": "1"]): 4,
        ]
        let snapshot = [Scrape(time: 0, samples: samples)]
        #expect(
            try evaluate("failed / all", at: 0, snapshot)
                == [PromQLSample(labels: ["job": "a", "instance": "1"], value: 0.25)])
        #expect(
            try evaluate("failed / on (job) all", at: 0, snapshot) == [PromQLSample(labels: ["job": "a"], value: 0.25)])
        #expect(
            try evaluate("failed / ignoring (instance) all", at: 0, snapshot)
                == [PromQLSample(labels: ["job": "a"], value: 0.25)])
        #expect(throws: PromQLEvaluationError.self) { try evaluate("failed / on () all", at: 0, snapshot) }
    }

    @Test func comparisonsFilterUnlessBool() throws {
        let samples: [Labels: Double] = [series("q", ["state": "queued"]): 12, series("q", ["state": "running"]): 2]
        let snapshot = [Scrape(time: 0, samples: samples)]
        #expect(
            try evaluate("q > 10", at: 0, snapshot) == [
                PromQLSample(labels: series("q", ["state": "queued"]), value: 12)
            ])
        #expect(
            try evaluate("10 < q", at: 0, snapshot) == [
                PromQLSample(labels: series("q", ["state": "queued"]), value: 12)
            ])
        #expect(Set(try evaluate("q > bool 10", at: 0, snapshot).map(\.value)) == [0, 1])
        #expect(
            try evaluate("q{state=~\"run.*\"} * 2", at: 0, snapshot) == [
                PromQLSample(labels: ["state": "running"], value: 4)
            ])
        #expect(try evaluate("q{state!~\"run.*\"}", at: 0, snapshot).count == 1)
        #expect(
            try evaluate("-q{state=\"running\"}", at: 0, snapshot) == [
                PromQLSample(labels: ["state": "running"], value: -2)
            ])
        #expect(try evaluate("2 ^ 3 ^ 2", at: 0, snapshot) == [PromQLSample(labels: [:], value: 512)])
        #expect(try evaluate("-2 ^ 2", at: 0, snapshot) == [PromQLSample(labels: [:], value: -4)])
    }

    @Test func absentNamesTheLabelsItsSelectorPins() throws {
        let snapshot = [Scrape(time: 0, samples: [series("up"): 1])]
        #expect(
            try evaluate(#"absent(nope{job="a", instance=~".+"})"#, at: 0, snapshot)
                == [PromQLSample(labels: ["job": "a"], value: 1)])
        #expect(
            try evaluate(#"absent(nope{job="a", job="b"})"#, at: 0, snapshot) == [PromQLSample(labels: [:], value: 1)])
        #expect(try evaluate("absent(up)", at: 0, snapshot).isEmpty)
    }

    @Test func aSeriesLeavingTheRegistryIsStaleAtOnce() throws {
        let snapshots = [
            Scrape(time: 0, samples: [series("g", ["x": "1"]): 1, series("g", ["x": "2"]): 1]),
            Scrape(time: Self.minute, samples: [series("g", ["x": "1"]): 1]),
        ]
        #expect(try evaluate("g", at: Self.minute, snapshots).count == 1)
        #expect(try evaluate("g", at: 7 * Self.minute, snapshots).isEmpty)  // past the 5m lookback
    }

    @Test func aTinyStepOverALongRangeFailsInsteadOfRunningForHours() throws {
        let scrapes = [Scrape(time: 0, samples: [series("g"): 1])]
        #expect {
            try evaluate("sum_over_time(g[10y:1ms])", at: Self.minute, scrapes)
        } throws: { error in
            "\(error)".contains("too many samples")
        }
    }
}
