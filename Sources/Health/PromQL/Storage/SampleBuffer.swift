/// One series' samples in time order, appended at the end and dropped from the front.
struct SampleBuffer {
    private var times: ContiguousArray<Int64> = []
    private var values: ContiguousArray<Double> = []
    /// Index of the first live sample; the dead prefix is compacted away once it is half the buffer.
    private var head = 0

    var count: Int { times.count - head }

    /// Appends `point`, replacing the last sample when it has the same time; an older one is ignored.
    mutating func append(_ point: SamplePoint) {
        if let last = times.last, count > 0 {
            if point.time == last {
                values[values.count - 1] = point.value
                return
            }
            if point.time < last { return }
        }
        times.append(point.time)
        values.append(point.value)
    }

    mutating func removeSamples(before oldest: Int64) {
        head = firstIndex(atOrAfter: oldest)
        if head > 0 && head * 2 >= times.count {
            times.removeFirst(head)
            values.removeFirst(head)
            head = 0
        }
    }

    /// The samples from `start` to `end`, both inclusive.
    func points(from start: Int64, to end: Int64) -> [SamplePoint] {
        let first = firstIndex(atOrAfter: start)
        let past = end == .max ? times.count : firstIndex(atOrAfter: end + 1)
        guard first < past else { return [] }
        return [SamplePoint](unsafeUninitializedCapacity: past - first) { buffer, count in
            for index in first..<past {
                buffer[index - first] = SamplePoint(time: times[index], value: values[index])
            }
            count = past - first
        }
    }

    /// Binary search among the live samples.
    private func firstIndex(atOrAfter time: Int64) -> Int {
        var (low, high) = (head, times.count)
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < time { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
