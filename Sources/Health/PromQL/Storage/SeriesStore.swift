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

        mutating func record(_ point: SamplePoint, writer: Int) {
            samples.append(point)
            self.writer = writer
            lastWrite = point.time
        }
    }

    struct State {
        var ids: [LabelSet: Int] = [:]
        var series: [Int: Series] = [:]
        /// Each metric name's series, sorted by labels: what a selector with a name reads, in order.
        var byName: [String: [Int]] = [:]
        var nextID = 0
        /// The series each writer (the registry, each recording rule) wrote last time.
        var written: [Int: Set<Int>] = [:]
        /// Interned registry series by family name and label values: a scrape builds no label sets.
        var registryIDs: [String: [[String]: [Int?]]] = [:]
        var trimmedBefore = Int64.min
        /// Whether a registry family has a name some selector can match; a family none can is skipped whole.
        var familyWanted: [String: Bool] = [:]
    }

    /// The writer for registry scrapes; recording rules use their own.
    public static let registryWriter = -1

    /// Labels every registry series gets, as a Prometheus scrape gives its target's (`job`, `instance`);
    /// a series that has one already keeps it as `exported_NAME`. With any, each registry write also
    /// records `up` 1 under these labels alone.
    public let targetLabels: Labels
    /// The `up` series a registry write records when there are target labels.
    let upSeries: LabelSet?

    public init(retentionMilliseconds: Int64, selectors: [VectorSelector]? = nil, targetLabels: Labels = [:]) {
        self.retentionMilliseconds = retentionMilliseconds
        self.selectors = selectors
        self.targetLabels = targetLabels
        upSeries = targetLabels.isEmpty ? nil : LabelSet(targetLabels.merging([LabelSet.metricName: "up"]) { _, up in up })
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

    /// Whether some selector can match a series named one of `names` (its other matchers aside).
    func wanted(_ names: [String]) -> Bool {
        guard let selectors else { return true }
        return selectors.contains { selector in
            names.contains { name in
                selector.matchers.allSatisfy { $0.name != LabelSet.metricName || $0.matches(name) }
            }
        }
    }

    /// The id of `labels`, interned now if new; `nil` for a series no rule can read.
    func intern(_ labels: LabelSet, _ state: inout State) -> Int? {
        if let id = state.ids[labels] { return id }
        if let selectors, !selectors.contains(where: { $0.matches(labels) }) { return nil }
        let id = state.nextID
        state.nextID += 1
        state.ids[labels] = id
        state.series[id] = Series(labels: labels, samples: SampleBuffer(), writer: Self.registryWriter, lastWrite: .min)
        let name = labels[LabelSet.metricName] ?? ""
        let named = state.byName[name, default: []]
        var (low, high) = (0, named.count)
        while low < high {
            let middle = (low + high) / 2
            if state.series[named[middle]]!.labels < labels { low = middle + 1 } else { high = middle }
        }
        state.byName[name, default: []].insert(id, at: low)
        return id
    }

    func append(_ id: Int, _ point: SamplePoint, writer: Int, _ state: inout State) {
        // Mutated in place, found once: no copy of the series or the dictionary.
        state.series[id]?.record(point, writer: writer)
    }

    /// Drops samples older than `oldest`, and series left with none (once per time).
    private func trim(before oldest: Int64, _ state: inout State) {
        guard oldest > state.trimmedBefore else { return }
        state.trimmedBefore = oldest
        var emptied: [(id: Int, labels: LabelSet)] = []
        // Walked by index, each value mutated in place, so the dictionary is never copied.
        var index = state.series.startIndex
        while index != state.series.endIndex {
            state.series.values[index].samples.removeSamples(before: oldest)
            if state.series.values[index].samples.count == 0 {
                emptied.append((state.series.keys[index], state.series.values[index].labels))
            }
            state.series.formIndex(after: &index)
        }
        guard !emptied.isEmpty else { return }
        let gone = Set(emptied.map(\.id))
        for (id, labels) in emptied {
            state.series[id] = nil
            state.ids[labels] = nil
            state.byName[labels[LabelSet.metricName] ?? ""]?.removeAll { $0 == id }
        }
        for writer in state.written.keys { state.written[writer]?.subtract(gone) }
        for family in state.registryIDs.keys {
            state.registryIDs[family] = state.registryIDs[family]!.filter { entry in
                !entry.value.contains { $0.map(gone.contains) ?? false }
            }
        }
    }

    public func series(matching matchers: [LabelMatcher], from start: Int64, to end: Int64) -> [SeriesSamples] {
        var output: [SeriesSamples] = []
        forEachSeries(matching: matchers, from: start, to: end, latestOnly: false) { output.append($0) }
        return output
    }

    public func forEachSeries(
        matching matchers: [LabelMatcher], from start: Int64, to end: Int64, latestOnly: Bool,
        _ body: (SeriesSamples) -> Void
    ) {
        forEachMatching(matchers) { series in
            let points: [SamplePoint]
            if latestOnly {
                points = series.samples.latest(atOrBefore: end).map { $0.time >= start ? [$0] : [] } ?? []
            } else {
                points = series.samples.points(from: start, to: end)
            }
            if !points.isEmpty { body(SeriesSamples(labels: series.labels, points: points)) }
        }
    }

    public func forEachSummary(
        matching matchers: [LabelMatcher], from start: Int64, to end: Int64, _ body: (LabelSet, RangeSummary) -> Void
    ) {
        forEachMatching(matchers) { series in
            if let summary = series.samples.summary(from: start, to: end) { body(series.labels, summary) }
        }
    }

    /// Each series `matchers` accepts, sorted by labels, with the lock held.
    private func forEachMatching(_ matchers: [LabelMatcher], _ body: (Series) -> Void) {
        state.withLock { state in
            let name = matchers.first(where: \.isNameEquality)?.value
            let others = matchers.filter { !($0.isNameEquality && $0.value == name) }
            // A name gives its series already in order; otherwise every series is a candidate, sorted here.
            var candidates: [Int] = name.map { state.byName[$0] ?? [] } ?? Array(state.series.keys)
            if name == nil { candidates.sort { state.series[$0]!.labels < state.series[$1]!.labels } }
            for id in candidates {
                guard let series = state.series[id],
                    others.allSatisfy({ $0.matches(series.labels[$0.name] ?? "") })
                else { continue }
                body(series)
            }
        }
    }
}
