public import JobkitMetrics
import Synchronization

/// The registry's samples at one moment, named and labelled as Prometheus scrapes them: counters with
/// their `_total` name, histograms as `_bucket` (with `le`), `_sum` and `_count`.
public struct SampleSnapshot: Sendable {
    /// Milliseconds since the Unix epoch.
    public var time: Int64
    public var samples: [Labels: Double]

    public init(time: Int64, samples: [Labels: Double]) {
        self.time = time
        self.samples = samples
    }

    /// The samples of `families` at `time`.
    public init(time: Int64, families: [FamilySnapshot]) {
        self.time = time
        var samples: [Labels: Double] = [:]
        for family in families {
            let descriptor = family.descriptor
            for series in family.series {
                var labels = Labels(uniqueKeysWithValues: zip(descriptor.labelNames, series.labelValues))
                labels = labels.filter { !$0.value.isEmpty }
                switch series.value {
                case .counter(let value), .gauge(let value):
                    labels["__name__"] = descriptor.name
                    samples[labels] = value
                case .histogram(let buckets, let counts, let sum):
                    for (index, count) in counts.enumerated() {
                        var bucket = labels
                        bucket["__name__"] = descriptor.name + "_bucket"
                        bucket["le"] = String(decoding: buckets.renderedBounds[index], as: UTF8.self)
                        samples[bucket] = Double(count)
                    }
                    labels["__name__"] = descriptor.name + "_sum"
                    samples[labels] = sum
                    labels["__name__"] = descriptor.name + "_count"
                    samples[labels] = Double(counts.last ?? 0)
                }
            }
        }
        self.samples = samples
    }
}

/// Snapshots of the registry kept for as long as the rules' longest range needs them, so `rate` and
/// `increase` have history to read.
public final class SampleHistory: Sendable {
    private let snapshots = Mutex<[SampleSnapshot]>([])
    /// How far back snapshots are kept, in milliseconds.
    public let retentionMilliseconds: Int64

    public init(retentionMilliseconds: Int64) {
        self.retentionMilliseconds = retentionMilliseconds
    }

    /// Adds `snapshot` (or replaces one at the same time) and forgets those older than the retention.
    public func record(_ snapshot: SampleSnapshot) {
        snapshots.withLock { list in
            list.removeAll { $0.time == snapshot.time }
            list.append(snapshot)
            list.sort { $0.time < $1.time }
            let oldest = snapshot.time - retentionMilliseconds
            list.removeAll { $0.time < oldest }
        }
    }

    /// Adds samples (a recording rule's output) to the snapshot at `time`.
    public func add(_ samples: [Labels: Double], at time: Int64) {
        snapshots.withLock { list in
            guard let index = list.lastIndex(where: { $0.time == time }) else { return }
            list[index].samples.merge(samples) { _, new in new }
        }
    }

    /// The snapshots, oldest first.
    public var all: [SampleSnapshot] { snapshots.withLock { $0 } }
}
