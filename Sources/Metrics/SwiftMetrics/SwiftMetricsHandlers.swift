import CoreMetrics

/// A handler whose series can be removed when swift-metrics destroys its instrument.
protocol DestroyableHandler: AnyObject {
    func destroy()
}

/// `Counter` and `FloatingPointCounter` handlers on a registry counter; `nil` when registration was refused.
final class SwiftMetricsCounter: CounterHandler, FloatingPointCounterHandler, DestroyableHandler, Sendable {
    let counter: Counter?
    let family: CounterFamily?
    let values: [String]

    init(counter: Counter?, family: CounterFamily?, values: [String]) {
        self.counter = counter
        self.family = family
        self.values = values
    }

    func increment(by amount: Int64) {
        guard amount > 0 else { return }
        counter?.increment(by: UInt64(amount))
    }

    func increment(by amount: Double) { counter?.add(amount) }

    func reset() { counter?.reset() }

    func destroy() { family?.remove(values) }
}

/// `Meter`, `Gauge` and non-aggregating `Recorder` handlers on a registry gauge.
final class SwiftMetricsGauge: MeterHandler, RecorderHandler, DestroyableHandler, Sendable {
    let gauge: Gauge?
    let family: GaugeFamily?
    let values: [String]

    init(gauge: Gauge?, family: GaugeFamily?, values: [String]) {
        self.gauge = gauge
        self.family = family
        self.values = values
    }

    func set(_ value: Int64) { gauge?.set(Double(value)) }
    func set(_ value: Double) { gauge?.set(value) }
    func increment(by amount: Double) { gauge?.add(amount) }
    func decrement(by amount: Double) { gauge?.add(-amount) }
    func record(_ value: Int64) { gauge?.set(Double(value)) }
    func record(_ value: Double) { gauge?.set(value) }

    func destroy() { family?.remove(values) }
}

/// Aggregating `Recorder` and `Timer` handlers on a registry histogram; `scale` converts the recorded unit
/// (nanoseconds for timers) into the histogram's.
final class SwiftMetricsHistogram: RecorderHandler, TimerHandler, DestroyableHandler, Sendable {
    let histogram: Histogram?
    let family: HistogramFamily?
    let values: [String]
    let scale: Double

    init(histogram: Histogram?, family: HistogramFamily?, values: [String], scale: Double) {
        self.histogram = histogram
        self.family = family
        self.values = values
        self.scale = scale
    }

    func record(_ value: Int64) { histogram?.observe(Double(value) * scale) }
    func record(_ value: Double) { histogram?.observe(value * scale) }
    func recordNanoseconds(_ duration: Int64) { histogram?.observe(Double(duration) * scale) }

    func destroy() { family?.remove(values) }
}
