/// What `rate`, `increase` and `delta` need of a series' samples in a window: the first and last, how
/// many, and the counter-reset corrections in order. Summaries of consecutive runs of samples join into
/// the summary of the whole, so a store can keep one per chunk and decode only a window's edges.
public struct RangeSummary: Sendable, Equatable {
    public private(set) var first: SamplePoint
    public private(set) var last: SamplePoint
    public private(set) var count = 1
    /// The value before each drop (a counter reset), oldest first: what a reset adds back.
    public private(set) var corrections: [Double] = []

    /// The summary of one sample.
    public init(_ point: SamplePoint) {
        first = point
        last = point
    }

    /// A summary from its parts, as a store keeps them.
    init(first: SamplePoint, last: SamplePoint, count: Int, corrections: [Double]) {
        self.first = first
        self.last = last
        self.count = count
        self.corrections = corrections
    }

    /// The summary of `points` (oldest first), `nil` when there are none.
    public init?(_ points: some Sequence<SamplePoint>) {
        var summary: RangeSummary? = nil
        for point in points { summary.add(point) }
        guard let summary else { return nil }
        self = summary
    }

    /// Adds a sample newer than every one so far.
    public mutating func add(_ point: SamplePoint) {
        if point.value < last.value { corrections.append(last.value) }
        last = point
        count += 1
    }

    /// Adds the summary of samples newer than every one so far.
    public mutating func add(_ later: RangeSummary) {
        if later.first.value < last.value { corrections.append(last.value) }
        corrections.append(contentsOf: later.corrections)
        last = later.last
        count += later.count
    }
}

extension RangeSummary? {
    /// Adds a sample, starting the summary if there is none yet.
    mutating func add(_ point: SamplePoint) {
        if self == nil { self = RangeSummary(point) } else { self!.add(point) }
    }

    /// Adds a later summary, starting with it if there is none yet.
    mutating func add(_ later: RangeSummary) {
        if self == nil { self = later } else { self!.add(later) }
    }
}
