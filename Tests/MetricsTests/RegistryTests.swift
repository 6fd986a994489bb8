import Foundation
import JobkitMetrics
import Testing

struct RegistryTests {
    func error(_ body: () throws -> Void) -> MetricsError? {
        do {
            try body()
            return nil
        } catch let error as MetricsError {
            return error
        } catch {
            return nil
        }
    }

    @Test func registeringTheSameFamilyTwiceReturnsIt() throws {
        let registry = MetricsRegistry()
        let first = try registry.counter("jobs_total", help: "Jobs.", labelNames: ["job"])
        let second = try registry.counter("jobs_total", help: "Jobs.", labelNames: ["job"])
        #expect(first === second)
        try first.labels("a").increment()
        #expect(try second.labels("a").value == 1)
    }

    @Test func conflictingRegistrationsThrowNamingTheMetric() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("jobs_total", help: "Jobs.", labelNames: ["job"])
        let otherLabels = error { _ = try registry.counter("jobs_total", help: "Jobs.", labelNames: ["worker"]) }
        #expect(otherLabels?.code == .kindConflict)
        #expect(otherLabels?.metric == "jobs_total")
        #expect(otherLabels?.message.contains("[job]") == true)
        // A gauge `jobs` clashes with the counter's OpenMetrics family name `jobs`.
        let clash = error { _ = try registry.gauge("jobs", help: "Jobs.") }
        #expect(clash?.code == .kindConflict)
    }

    @Test(arguments: [
        ("9lives_total", MetricsError.Code.invalidName),
        ("has-dash_total", .invalidName),
        ("jobs", .invalidName),  // a counter without _total
        ("x_count_total", .invalidName),
    ])
    func badCounterNamesAreRejected(name: String, code: MetricsError.Code) {
        #expect(error { _ = try MetricsRegistry().counter(name, help: "h") }?.code == code)
    }

    @Test func badGaugeHistogramAndLabelNamesAreRejected() {
        let registry = MetricsRegistry()
        #expect(error { _ = try registry.gauge("depth_total", help: "h") }?.code == .invalidName)
        #expect(error { _ = try registry.histogram("latency_bucket", help: "h") }?.code == .invalidName)
        #expect(error { _ = try registry.gauge("g", help: "h", labelNames: ["__hidden"]) }?.code == .invalidLabelName)
        #expect(error { _ = try registry.gauge("g", help: "h", labelNames: ["a-b"]) }?.code == .invalidLabelName)
        #expect(
            error { _ = try registry.histogram("h_seconds", help: "h", labelNames: ["le"]) }?.code == .invalidLabelName)
        #expect(error { _ = try registry.gauge("g", help: "h", labelNames: ["a", "a"]) }?.code == .invalidLabelName)
        #expect(error { _ = try registry.gauge("wait_ms", help: "h", unit: "seconds") }?.code == .invalidUnit)
    }

    @Test func labelCountMismatchesThrow() throws {
        let family = try MetricsRegistry().counter("jobs_total", help: "Jobs.", labelNames: ["job", "outcome"])
        let mismatch = error { _ = try family.labels("only-one") }
        #expect(mismatch?.code == .labelMismatch)
        #expect(mismatch?.message == "expects 2 label values (job, outcome), got 1")
    }

    @Test func childrenAreResolvedOnceAndCached() throws {
        let family = try MetricsRegistry().gauge("depth", help: "Depth.", labelNames: ["state"])
        let running = try family.labels("running")
        let again = try family.labels("running")
        let pending = try family.labels("pending")
        #expect(running === again)
        #expect(running !== pending)
    }

    @Test func bucketsMustBeIncreasingAndFinite() throws {
        #expect(error { _ = try Buckets([]) }?.code == .invalidBuckets)
        #expect(error { _ = try Buckets([1, 1]) }?.code == .invalidBuckets)
        #expect(error { _ = try Buckets([2, 1]) }?.code == .invalidBuckets)
        #expect(error { _ = try Buckets([.nan]) }?.code == .invalidBuckets)
        #expect(try Buckets([1, 2, .infinity]).bounds == [1, 2])
        #expect(try Buckets.exponential(start: 1, factor: 2, count: 4).bounds == [1, 2, 4, 8])
        #expect(Buckets.prometheusDefault.bounds == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        #expect(Buckets.longJobs.bounds.last! > 10)
    }
}

struct InstrumentTests {
    @Test func countersOnlyGoUp() throws {
        let counter = try MetricsRegistry().counter("c_total", help: "h").unlabelled
        counter.increment()
        counter.increment(by: 4)
        counter.add(0.5)
        counter.add(-3.0)
        counter.add(.nan)
        #expect(counter.value == 5.5)
    }

    @Test func gaugesGoBothWays() throws {
        let gauge = try MetricsRegistry().gauge("g", help: "h").unlabelled
        gauge.set(3)
        gauge.increment()
        gauge.decrement()
        gauge.add(-5.5)
        #expect(gauge.value == -2.5)
    }

    @Test func aHistogramObservationLandsInOneBucketAndReadsCumulatively() throws {
        let histogram = try MetricsRegistry(histogramStripes: 4)
            .histogram("h_seconds", help: "h", buckets: Buckets([1, 2, 5]), unit: "seconds").unlabelled
        for value in [0.5, 1, 1.5, 3, 9, 9] { histogram.observe(value) }
        histogram.observe(.milliseconds(1500))
        let (counts, sum) = histogram.read()
        #expect(counts == [2, 4, 5, 7])
        #expect(sum == 0.5 + 1 + 1.5 + 3 + 9 + 9 + 1.5)
    }

    @Test func binarySearchFindsTheSameBucketsAsLinearSearch() throws {
        let bounds = (1...100).map(Double.init)
        let histogram = try MetricsRegistry().histogram("many", help: "h", buckets: Buckets(bounds)).unlabelled
        for value in [0.5, 1, 1.0001, 50, 99.9, 100, 100.5, .nan] { histogram.observe(value) }
        let (counts, _) = histogram.read()
        #expect(counts[0] == 2)  // 0.5 and 1 (bounds are inclusive)
        #expect(counts[1] == 3)  // + 1.0001
        #expect(counts[49] == 4)  // + 50
        #expect(counts[99] == 6)  // + 99.9, 100
        #expect(counts[100] == 8)  // + 100.5 and NaN in +Inf
    }

    @Test func everyValueLandsInTheFirstBucketWhoseBoundIsNotBelowIt() throws {
        let registry = MetricsRegistry(histogramStripes: 1)
        for boundCount in 1...13 {
            let bounds = (1...boundCount).map { Double($0) * 1.5 }
            let histogram = try registry.histogram(
                "layout_\(boundCount)", help: "h", buckets: Buckets(bounds)
            ).unlabelled
            let probes: [Double] = [-1, 0] + bounds.flatMap { [$0 - 0.1, $0, $0 + 0.1] } + [1e9, .infinity, -.infinity, .nan]
            for probe in probes {
                let before = histogram.read().cumulativeCounts
                histogram.observe(probe)
                let after = histogram.read().cumulativeCounts
                // Reference: the linear scan a reader would write; NaN is in no bucket but +Inf, as in
                // client_golang.
                let expected = bounds.firstIndex { probe <= $0 } ?? bounds.count
                let landed = before.indices.first { before[$0] != after[$0] }
                #expect(landed == expected, "\(probe) with bounds \(bounds)")
            }
        }
    }

    /// Threads on stripes of their own, threads sharing the spare one, and threads reusing the slots of
    /// threads that exited: no observation is lost.
    @Test(arguments: [0, 1, 2, 8])
    func concurrentObservationsAreAllCounted(stripes: Int) throws {
        let histogram = try MetricsRegistry(histogramStripes: stripes).histogram("h", help: "h").unlabelled
        let counter = try MetricsRegistry().counter("c_total", help: "h").unlabelled
        let (waves, threadsPerWave, perThread) = (2, 4, 50_000)
        for _ in 0..<waves {
            let done = DispatchGroup()
            for _ in 0..<threadsPerWave {
                done.enter()
                Thread {
                    for index in 0..<perThread {
                        histogram.observe(Double(index % 20) / 1000)
                        counter.increment()
                    }
                    done.leave()
                }.start()
            }
            done.wait()
        }
        let total = waves * threadsPerWave * perThread
        let (counts, sum) = histogram.read()
        #expect(counts.last == UInt64(total))
        #expect(counter.value == Double(total))
        let expectedSum = Double(total / 20) * (0..<20).reduce(0.0) { $0 + Double($1) / 1000 }
        #expect(abs(sum - expectedSum) < 1e-6)
    }
}
