import Benchmark
import Dispatch
import JobkitMetrics
import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// Each instrument benchmark runs the same loop three ways, side by side in one run: on a bare
// `Atomic<UInt64>` (the floor), on JobkitMetrics, and on swift-prometheus (the baseline to beat).
// `scalingFactor: .mega` makes one measured iteration a million operations, so the reported
// time per iteration in microseconds reads as picoseconds per operation… divided by a million:
// compare rows, not absolute figures. README.md gives the command and the ratios.

/// Threads for the contended runs: both cores of the reference machine.
let contendedThreads = 2
/// Series in the exposition benchmark: 10,000 counters and 1,000 histograms, as the issue asks.
let exposedCounters = 10_000
let exposedHistograms = 1_000
/// Label values per label in the exposition benchmark (100 × 100 counters, 10 × 100 histograms).
let labelFanOut = 100

/// Values spread over the default buckets (1 ms … 20 s), cycled by the observe loops.
let sampleValues: [Double] = (0..<1024).map { index in
    let unit = Double((index &* 2_654_435_761) & 1023) / 1024
    return 0.001 * pow(20_000, unit)
}

/// `sampleValues` outside reference counting, so the loops' own cost is a load and a mask for every
/// implementation alike.
nonisolated(unsafe) let samples: UnsafeMutablePointer<Double> = {
    let pointer = UnsafeMutablePointer<Double>.allocate(capacity: sampleValues.count)
    pointer.initialize(from: sampleValues, count: sampleValues.count)
    return pointer
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega,
        maxDuration: .seconds(3), maxIterations: 200)

    // MARK: Counter increment

    Benchmark("counter increment: bare Atomic<UInt64>") { benchmark, box in
        for _ in benchmark.scaledIterations { box.atomic.wrappingAdd(1, ordering: .relaxed) }
        blackHole(box.atomic.load(ordering: .relaxed))
    } setup: {
        AtomicBox()
    }

    Benchmark("counter increment: JobkitMetrics") { benchmark, counter in
        for _ in benchmark.scaledIterations { counter.increment() }
        blackHole(counter.value)
    } setup: {
        try MetricsRegistry().counter("bench_total", help: "Benchmark.", labelNames: ["job"]).labels("a")
    }

    Benchmark("counter increment: swift-prometheus") { benchmark, counter in
        for _ in benchmark.scaledIterations { counter.increment() }
        blackHole(counter)
    } setup: {
        PrometheusCollectorRegistry().makeCounter(
            descriptor: .init(metricName: "bench", unitName: "total", helpText: "Benchmark."), labels: [("job", "a")])
    }

    // MARK: Histogram observe, one thread and two threads on the same series

    for threads in [1, contendedThreads] {
        let suffix = threads == 1 ? "1 thread" : "\(threads) threads"

        Benchmark("histogram observe, \(suffix): bare Atomic<UInt64>") { benchmark, box in
            let values = samples
            onThreads(threads, benchmark.scaledIterations.count) { index in
                box.atomic.wrappingAdd(UInt64(values[index & 1023] > 1 ? 1 : 0), ordering: .relaxed)
            }
        } setup: {
            AtomicBox()
        }

        Benchmark("histogram observe, \(suffix): JobkitMetrics") { benchmark, histogram in
            let values = samples
            onThreads(threads, benchmark.scaledIterations.count) { index in
                histogram.observe(values[index & 1023])
            }
        } setup: {
            try MetricsRegistry().histogram("bench_seconds", help: "Benchmark.", labelNames: ["job"], unit: "seconds")
                .labels("a")
        }

        Benchmark("histogram observe, \(suffix): swift-prometheus ValueHistogram") { benchmark, histogram in
            let values = samples
            onThreads(threads, benchmark.scaledIterations.count) { index in
                histogram.record(values[index & 1023])
            }
        } setup: {
            PrometheusCollectorRegistry().makeValueHistogram(
                descriptor: .init(metricName: "bench", unitName: "seconds", helpText: "Benchmark."),
                labels: [("job", "a")],
                buckets: Buckets.prometheusDefault.bounds)
        }
    }

    // MARK: Exposition of 10,000 counter series and 1,000 histograms

    let exposition = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(5),
        maxIterations: 100)

    Benchmark("exposition 10k counters + 1k histograms: JobkitMetrics", configuration: exposition) {
        (benchmark, registry: MetricsRegistry) in
        for _ in benchmark.scaledIterations { blackHole(PrometheusText.render(registry.collect())) }
    } setup: {
        let registry = MetricsRegistry()
        let counters = try registry.counter("bench_requests_total", help: "Benchmark.", labelNames: ["route", "code"])
        for index in 0..<exposedCounters {
            try counters.labels("r\(index / labelFanOut)", "c\(index % labelFanOut)").increment(by: UInt64(index))
        }
        let histograms = try registry.histogram(
            "bench_latency_seconds", help: "Benchmark.", labelNames: ["route", "shard"], unit: "seconds")
        for index in 0..<exposedHistograms {
            try histograms.labels("r\(index / labelFanOut)", "s\(index % labelFanOut)").observe(
                sampleValues[index & 1023])
        }
        return registry
    }

    Benchmark("exposition 10k counters + 1k histograms: swift-prometheus", configuration: exposition) {
        (benchmark, registry: PrometheusCollectorRegistry) in
        for _ in benchmark.scaledIterations {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            blackHole(buffer)
        }
    } setup: {
        let registry = PrometheusCollectorRegistry()
        for index in 0..<exposedCounters {
            registry.makeCounter(
                descriptor: .init(metricName: "bench_requests", unitName: "total", helpText: "Benchmark."),
                labels: [("route", "r\(index / labelFanOut)"), ("code", "c\(index % labelFanOut)")]
            ).increment(by: Int64(index))
        }
        for index in 0..<exposedHistograms {
            registry.makeValueHistogram(
                descriptor: .init(metricName: "bench_latency", unitName: "seconds", helpText: "Benchmark."),
                labels: [("route", "r\(index / labelFanOut)"), ("shard", "s\(index % labelFanOut)")],
                buckets: Buckets.prometheusDefault.bounds
            ).record(sampleValues[index & 1023])
        }
        return registry
    }
}

/// Runs `operation(index)` `count` times in total, split over `threads` threads that start together.
@inline(__always)
func onThreads(_ threads: Int, _ count: Int, _ operation: (Int) -> Void) {
    if threads == 1 {
        for index in 0..<count { operation(index) }
        return
    }
    withoutActuallyEscaping(operation) { operation in
        let shared = UnsafeSendable(operation)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let perThread = count / threads
            for index in (thread * perThread)..<((thread + 1) * perThread) { shared.value(index) }
        }
    }
}

/// Hands a closure that is safe to call concurrently (it only touches thread-safe metrics) to other threads.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The bare atomic baseline, in a class because `Atomic` cannot be copied into the benchmark's setup state.
final class AtomicBox: Sendable {
    let atomic = Atomic<UInt64>(0)
}
