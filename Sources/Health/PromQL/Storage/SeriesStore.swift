import Synchronization

/// The samples rules read: each series interned once with its samples in its own buffers, kept for
/// the retention the loaded rules need and only for the series their selectors can match.
public final class SeriesStore: SeriesSource, Sendable {
    /// How far back samples are kept, in milliseconds.
    public let retentionMilliseconds: Int64
    /// The selectors of the rules: a series none of them matches is not kept. `nil` keeps every series.
    private let selectors: [VectorSelector]?
    let state = Mutex(State())

    struct Series {
        var labels: LabelSet
        var samples: SampleBuffer
        /// The writer that last appended to the series, and the time, to mark it stale when it stops.
        var writer: Int
        var lastWrite: Int64
    }

    struct State {
        var ids: [LabelSet: Int] = [:]
        var series: [Int: Series] = [:]
        var byName: [String: Set<Int>] = [:]
        var nextID = 0
        /// The series each writer (the registry, each recording rule) wrote last time.
        var written: [Int: Set<Int>] = [:]
        /// Interned registry series by family name and label values: a scrape builds no label sets.
        var registryIDs: [String: [[String]: [Int?]]] = [:]
        var trimmedBefore = Int64.min
    }

    /// The writer for registry scrapes; recording rules use their own.
    public static let registryWriter = -1

    public init(retentionMilliseconds: Int64, selectors: [VectorSelector]? = nil) {
        self.retentionMilliseconds = retentionMilliseconds
        self.selectors = selectors
    }

    /// How many series are kept, and how many samples.
    public var size: (series: Int, samples: Int) {
        state.withLock { state in (state.series.count, state.series.values.reduce(0) { $0 + $1.samples.count }) }
    }

    /// Appends what `writer` produced at `time`: a sample for each series given, a staleness marker for
    /// each it gave last time but not now. Then forgets what is older than the retention.
    public func write(_ samples: [(labels: LabelSet, value: Double)], writer: Int, at time: Int64) {
        state.withLock { state in
            var now = Set<Int>(minimumCapacity: samples.count)
            for sample in samples {
                guard let id = intern(sample.labels, &state) else { continue }
                append(id, SamplePoint(time: time, value: sample.value), writer: writer, &state)
                now.insert(id)
            }
            finishWrite(writer: writer, now: now, at: time, &state)
        }
    }

    /// Appends one sample as given (a staleness marker too), outside any writer's staleness tracking:
    /// for loading test data and history.
    public func append(_ labels: LabelSet, _ point: SamplePoint) {
        state.withLock { state in
            guard let id = intern(labels, &state) else { return }
            append(id, point, writer: Self.registryWriter, &state)
        }
    }

    func finishWrite(writer: Int, now: Set<Int>, at time: Int64, _ state: inout State) {
        for id in state.written[writer, default: []] where !now.contains(id) {
            if let series = state.series[id], series.writer == writer, series.lastWrite < time {
                append(id, SamplePoint(time: time, value: SamplePoint.staleValue), writer: writer, &state)
            }
        }
        state.written[writer] = now
        trim(before: time - retentionMilliseconds, &state)
    }

    /// The id of `labels`, interned now if new; `nil` for a series no rule can read.
    func intern(_ labels: LabelSet, _ state: inout State) -> Int? {
        if let id = state.ids[labels] { return id }
        if let selectors, !selectors.contains(where: { $0.matches(labels) }) { return nil }
        let id = state.nextID
        state.nextID += 1
        state.ids[labels] = id
        state.series[id] = Series(labels: labels, samples: SampleBuffer(), writer: Self.registryWriter, lastWrite: .min)
        state.byName[labels[LabelSet.metricName] ?? "", default: []].insert(id)
        return id
    }

    func append(_ id: Int, _ point: SamplePoint, writer: Int, _ state: inout State) {
        guard var series = state.series.removeValue(forKey: id) else { return }
        series.samples.append(point)
        series.writer = writer
        series.lastWrite = point.time
        state.series[id] = series
    }

    /// Drops samples older than `oldest`, and series left with none (once per time).
    private func trim(before oldest: Int64, _ state: inout State) {
        guard oldest > state.trimmedBefore else { return }
        state.trimmedBefore = oldest
        var emptied: [(id: Int, labels: LabelSet)] = []
        for id in Array(state.series.keys) {
            guard var series = state.series.removeValue(forKey: id) else { continue }
            series.samples.removeSamples(before: oldest)
            if series.samples.count == 0 {
                emptied.append((id, series.labels))
            } else {
                state.series[id] = series
            }
        }
        guard !emptied.isEmpty else { return }
        let gone = Set(emptied.map(\.id))
        for (id, labels) in emptied {
            state.ids[labels] = nil
            state.byName[labels[LabelSet.metricName] ?? ""]?.remove(id)
        }
        for writer in state.written.keys { state.written[writer]?.subtract(gone) }
        for family in state.registryIDs.keys {
            state.registryIDs[family] = state.registryIDs[family]!.filter { entry in
                !entry.value.contains { $0.map(gone.contains) ?? false }
            }
        }
    }

    public func series(matching matchers: [LabelMatcher], from start: Int64, to end: Int64) -> [SeriesSamples] {
        state.withLock { state in
            let name = matchers.first { $0.name == LabelSet.metricName && $0.kind == .equal }?.value
            let candidates: [Int] = name.map { Array(state.byName[$0] ?? []) } ?? Array(state.series.keys)
            var output: [SeriesSamples] = []
            for id in candidates {
                guard let series = state.series[id],
                    matchers.allSatisfy({ $0.matches(series.labels[$0.name] ?? "") })
                else { continue }
                let points = series.samples.points(from: start, to: end)
                if !points.isEmpty { output.append(SeriesSamples(labels: series.labels, points: points)) }
            }
            return output.sorted { $0.labels < $1.labels }
        }
    }
}
