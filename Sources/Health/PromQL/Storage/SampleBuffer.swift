/// One series' samples in time order, compressed in chunks: appended at the newest, dropped a chunk
/// at a time from the oldest.
struct SampleBuffer {
    private var chunks: [XORChunk] = []
    /// Samples held, those of the oldest chunk older than the retention included.
    private(set) var count = 0

    /// Appends `point`; one at the time of the last sample replaces it (the chunk is re-encoded), an
    /// older one is dropped, as Prometheus refuses out-of-order samples.
    mutating func append(_ point: SamplePoint) {
        if let last = chunks.last {
            if point.time == last.lastTime {
                var kept: [SamplePoint] = []
                last.forEach { kept.append($0) }
                kept[kept.count - 1] = point
                var chunk = XORChunk()
                for sample in kept { chunk.append(sample) }
                chunks[chunks.count - 1] = chunk
                return
            }
            guard point.time > last.lastTime else { return }
            if last.isFull {
                chunks[chunks.count - 1].seal()
                chunks.append(XORChunk())
            }
        } else {
            chunks.append(XORChunk())
        }
        chunks[chunks.count - 1].append(point)
        count += 1
    }

    /// Drops the chunks whose samples are all older than `oldest`.
    mutating func removeSamples(before oldest: Int64) {
        let old = chunks.prefix { $0.lastTime < oldest }
        guard !old.isEmpty else { return }
        count -= old.reduce(0) { $0 + $1.count }
        chunks.removeFirst(old.count)
    }

    /// The samples from `start` to `end`, both inclusive.
    func points(from start: Int64, to end: Int64) -> [SamplePoint] {
        var output: [SamplePoint] = []
        for chunk in chunks where chunk.lastTime >= start && chunk.firstTime <= end {
            if output.isEmpty { output.reserveCapacity(XORChunk.capacity * chunks.count) }
            chunk.decode(into: &output, from: start, to: end)
        }
        return output
    }

    /// The summary of the samples from `start` to `end` without staleness markers, as `rate` reads them:
    /// chunks wholly inside the window give their kept summary, only the others are decoded.
    func summary(from start: Int64, to end: Int64) -> RangeSummary? {
        var summary: RangeSummary? = nil
        var points: [SamplePoint] = []
        for chunk in chunks where chunk.lastTime >= start && chunk.firstTime <= end {
            if chunk.firstTime >= start && chunk.lastTime <= end && !chunk.hasStale, let whole = chunk.summary {
                summary.add(whole)
                continue
            }
            points.removeAll(keepingCapacity: true)
            chunk.decode(into: &points, from: start, to: end)
            for point in points where !point.isStale { summary.add(point) }
        }
        return summary
    }

    /// The newest sample at or before `time`.
    func latest(atOrBefore time: Int64) -> SamplePoint? {
        guard let index = chunks.lastIndex(where: { $0.firstTime <= time }) else { return nil }
        var points: [SamplePoint] = []
        chunks[index].decode(into: &points, from: .min, to: time)
        return points.last
    }
}
