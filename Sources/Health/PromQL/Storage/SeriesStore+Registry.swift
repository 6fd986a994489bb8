public import JobkitMetrics
import Synchronization

extension SeriesStore {
    /// Appends a scrape of the registry at `time`, named and labelled as Prometheus scrapes it: counters
    /// with their `_total` name, histograms as `_bucket` (with `le`), `_sum` and `_count`. A series
    /// the scrape no longer has gets a staleness marker, as a series missing from a scrape does.
    public func write(_ families: [FamilySnapshot], at time: Int64) {
        state.withLock { state in
            var now = Set<Int>()
            for family in families {
                let descriptor = family.descriptor
                if state.familyWanted[descriptor.name] == nil {
                    let names =
                        descriptor.kind == .histogram
                        ? ["_bucket", "_sum", "_count"].map { descriptor.name + $0 } : [descriptor.name]
                    state.familyWanted[descriptor.name] = wanted(names)
                }
                guard state.familyWanted[descriptor.name] == true else { continue }
                for series in family.series {
                    let ids = registryIDs(descriptor, series, &state)
                    let values: [Double]
                    switch series.value {
                    case .counter(let value), .gauge(let value): values = [value]
                    case .histogram(_, let counts, let sum): values = counts.map { Double($0) } + [sum, Double(counts.last ?? 0)]
                    }
                    for (id, value) in zip(ids, values) {
                        guard let id else { continue }
                        append(id, SamplePoint(time: time, value: value), writer: Self.registryWriter, &state)
                        now.insert(id)
                    }
                }
            }
            if let upSeries, let id = intern(upSeries, &state) {
                append(id, SamplePoint(time: time, value: 1), writer: Self.registryWriter, &state)
                now.insert(id)
            }
            finishWrite(writer: Self.registryWriter, now: now, at: time, &state)
        }
    }

    /// `labels` with the target labels added as Prometheus adds them without `honor_labels`: a label the
    /// series already has moves to `exported_NAME` (again prefixed while that is taken too).
    private func addingTargetLabels(_ labels: Labels) -> Labels {
        var result = labels
        for (name, value) in targetLabels {
            if let own = result[name] {
                var exported = "exported_" + name
                while result[exported] != nil { exported = "exported_" + exported }
                result[exported] = own
            }
            result[name] = value
        }
        return result
    }

    /// The ids of the series one registry series becomes (one, or each bucket then `_sum` and `_count`).
    private func registryIDs(_ descriptor: MetricDescriptor, _ series: SeriesSnapshot, _ state: inout State) -> [Int?] {
        if let ids = state.registryIDs[descriptor.name]?[series.labelValues] { return ids }
        var labels = addingTargetLabels(Labels(uniqueKeysWithValues: zip(descriptor.labelNames, series.labelValues)))
        let ids: [Int?]
        switch series.value {
        case .counter, .gauge:
            labels[LabelSet.metricName] = descriptor.name
            ids = [intern(LabelSet(labels), &state)]
        case .histogram(let buckets, _, _):
            var list: [Int?] = []
            for bound in buckets.renderedBounds {
                var bucket = labels
                bucket[LabelSet.metricName] = descriptor.name + "_bucket"
                bucket["le"] = String(decoding: bound, as: UTF8.self)
                list.append(intern(LabelSet(bucket), &state))
            }
            for suffix in ["_sum", "_count"] {
                labels[LabelSet.metricName] = descriptor.name + suffix
                list.append(intern(LabelSet(labels), &state))
            }
            ids = list
        }
        state.registryIDs[descriptor.name, default: [:]][series.labelValues] = ids
        return ids
    }
}
