/// Which lines of one attempt's output stay in the queue: the first ones up to half the budget, then the
/// latest ones within the other half, the lines between them dropped as newer ones arrive.
///
/// Lines are numbered from 1 in the order they arrive. Only the sizes of the kept last lines are held,
/// so the memory is a few bytes per line of the budget's second half.
struct OutputBound: Sendable {
    /// Bytes of text the first lines may take.
    let headBudget: Int
    /// Bytes of text the last lines may take.
    let tailBudget: Int
    /// Lines seen so far.
    private(set) var lines = 0
    private var headBytes = 0
    /// Whether a line has gone past the head: every later line is in the tail.
    private var headFull = false
    /// Number of the first line in the tail, and the sizes of the tail's lines from it on.
    private var tailFirst = 1
    private var tailSizes: [Int] = []
    private var tailStart = 0
    private var tailBytes = 0

    /// A bound of `budget` bytes of text per attempt, split evenly between first and last lines.
    init(budget: Int) {
        headBudget = budget / 2
        tailBudget = budget - budget / 2
    }

    /// Takes the next line, of `bytes` bytes: returns its number, or `nil` when nothing is kept, and
    /// the numbers of earlier lines to drop now.
    mutating func add(bytes: Int) -> (line: Int?, dropped: [Int]) {
        lines += 1
        guard headBudget + tailBudget > 0 else { return (nil, []) }
        if !headFull, headBytes + bytes <= headBudget {
            headBytes += bytes
            return (lines, [])
        }
        if !headFull {
            headFull = true
            tailFirst = lines
        }
        tailSizes.append(bytes)
        tailBytes += bytes
        var dropped: [Int] = []
        // The newest line always stays, even one larger than the budget (lines are capped upstream).
        while tailBytes > tailBudget, tailSizes.count - tailStart > 1 {
            tailBytes -= tailSizes[tailStart]
            dropped.append(tailFirst)
            tailStart += 1
            tailFirst += 1
        }
        // Let the dropped sizes go once they are most of the array.
        if tailStart > tailSizes.count / 2 {
            tailSizes.removeFirst(tailStart)
            tailStart = 0
        }
        return (lines, dropped)
    }
}
