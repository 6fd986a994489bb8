/// Up to ``capacity`` samples of one series, compressed as Prometheus (after Facebook's Gorilla) does:
/// times as deltas of deltas, values XORed with the previous one. A counter that does not move costs
/// two bits a sample, one that moves by small steps a dozen or so, instead of sixteen bytes.
struct XORChunk {
    /// Samples per chunk: Prometheus' 120, a couple of minutes at a short interval.
    static let capacity = 120

    private(set) var count = 0
    private(set) var firstTime: Int64 = 0
    private(set) var lastTime: Int64 = 0
    private var bits = BitStream()
    // What the next append is encoded against.
    private var lastDelta: Int64 = 0
    private var lastValue: UInt64 = 0
    private var leading = 0xFF
    private var trailing = 0
    /// The value before each drop, for ``summary``.
    private var corrections: [Double] = []
    /// Whether a staleness marker is among the samples (a ``summary`` would count it).
    private(set) var hasStale = false

    var isFull: Bool { count >= Self.capacity }

    /// Delta-of-delta buckets: a tag of ones and a zero, then a value of this many bits.
    private static let deltaBits = [14, 17, 20]

    mutating func append(_ point: SamplePoint) {
        let value = point.value.bitPattern
        if count > 0, point.value < Double(bitPattern: lastValue) { corrections.append(Double(bitPattern: lastValue)) }
        if point.isStale { hasStale = true }
        switch count {
        case 0:
            firstTime = point.time
            bits.write(UInt64(bitPattern: point.time), 64)
            bits.write(value, 64)
        case 1:
            lastDelta = point.time - lastTime
            bits.write(UInt64(bitPattern: lastDelta), 64)
            writeValue(value)
        default:
            let delta = point.time - lastTime
            writeDeltaOfDelta(delta &- lastDelta)
            lastDelta = delta
            writeValue(value)
        }
        lastTime = point.time
        lastValue = value
        count += 1
    }

    private mutating func writeDeltaOfDelta(_ dod: Int64) {
        if dod == 0 {
            bits.write(0, 1)
            return
        }
        for (index, width) in Self.deltaBits.enumerated() {
            let limit = Int64(1) << (width - 1)
            if dod >= -limit && dod < limit {
                // `index + 1` ones, then a zero.
                bits.write((UInt64(1) << (index + 2)) - 2, index + 2)
                bits.write(UInt64(bitPattern: dod) & ((UInt64(1) << width) - 1), width)
                return
            }
        }
        bits.write(0b1111, 4)
        bits.write(UInt64(bitPattern: dod), 64)
    }

    private mutating func writeValue(_ value: UInt64) {
        let xor = value ^ lastValue
        if xor == 0 {
            bits.write(0, 1)
            return
        }
        let newLeading = min(xor.leadingZeroBitCount, 31)
        let newTrailing = xor.trailingZeroBitCount
        if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
            // Fits the previous window of meaningful bits.
            bits.write(0b10, 2)
            bits.write(xor >> trailing, 64 - leading - trailing)
        } else {
            leading = newLeading
            trailing = newTrailing
            let significant = 64 - leading - trailing
            bits.write(0b11, 2)
            bits.write(UInt64(leading), 5)
            // 64 significant bits are written as 0: six bits hold 0...63.
            bits.write(UInt64(significant & 63), 6)
            bits.write(xor >> trailing, significant)
        }
    }

    /// What `rate` needs of all the samples, without decoding them (`nil` when empty).
    var summary: RangeSummary? {
        guard count > 0 else { return nil }
        let firstValue = bits.words.count > 1 ? bits.words[1] : 0
        return RangeSummary(
            first: SamplePoint(time: firstTime, value: Double(bitPattern: firstValue)),
            last: SamplePoint(time: lastTime, value: Double(bitPattern: lastValue)), count: count,
            corrections: corrections)
    }

    /// Every sample, oldest first, to `body`.
    func forEach(_ body: (SamplePoint) -> Void) {
        var points: [SamplePoint] = []
        decode(into: &points, from: .min, to: .max)
        for point in points { body(point) }
    }

    /// Appends the samples from `start` to `end` (inclusive) to `output`, decoding up to the last.
    func decode(into output: inout [SamplePoint], from start: Int64, to end: Int64) {
        bits.words.withUnsafeBufferPointer { words in
            var reader = BitReader(words)
            var time = Int64(bitPattern: reader.read(64))
            var value = reader.read(64)
            var delta: Int64 = 0
            var leading = 0
            var trailing = 0
            for index in 0..<count {
                if index > 0 {
                    if index == 1 {
                        delta = Int64(bitPattern: reader.read(64))
                    } else if reader.read(1) == 1 {
                        delta &+= Self.readDeltaOfDelta(&reader)
                    }
                    time &+= delta
                    if time > end { return }
                    if reader.read(1) == 1 {
                        if reader.read(1) == 1 {
                            leading = Int(reader.read(5))
                            var significant = Int(reader.read(6))
                            if significant == 0 { significant = 64 }
                            trailing = 64 - leading - significant
                        }
                        value ^= reader.read(64 - leading - trailing) << trailing
                    }
                } else if time > end {
                    return
                }
                if time >= start { output.append(SamplePoint(time: time, value: Double(bitPattern: value))) }
            }
        }
    }

    /// Gives back the spare capacity of a chunk that takes no more samples.
    mutating func seal() { bits.shrink() }

    /// A delta of delta whose leading 1 bit was already read.
    private static func readDeltaOfDelta(_ reader: inout BitReader) -> Int64 {
        var ones = 1
        while ones < 4, reader.read(1) == 1 { ones += 1 }
        if ones == 4 { return Int64(bitPattern: reader.read(64)) }
        let width = deltaBits[ones - 1]
        let raw = reader.read(width)
        // Sign-extend from `width` bits.
        let shift = 64 - width
        return Int64(bitPattern: raw << shift) >> shift
    }
}

/// Bits appended most significant first into 64-bit words.
struct BitStream {
    var words: ContiguousArray<UInt64> = []
    fileprivate var bitCount = 0

    mutating func shrink() { words = ContiguousArray(Array(words)) }

    mutating func write(_ value: UInt64, _ width: Int) {
        guard width > 0 else { return }
        let value = width == 64 ? value : value & ((UInt64(1) << width) - 1)
        let used = bitCount & 63
        if used == 0 { words.append(0) }
        let free = 64 - used
        if width <= free {
            words[words.count - 1] |= value << (free - width)
        } else {
            words[words.count - 1] |= value >> (width - free)
            words.append(value << (64 - (width - free)))
        }
        bitCount += width
    }
}

/// Reads a ``BitStream``'s words from their start.
struct BitReader {
    private let words: UnsafeBufferPointer<UInt64>
    private var position = 0

    init(_ words: UnsafeBufferPointer<UInt64>) { self.words = words }

    mutating func read(_ width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        let word = position >> 6
        let used = position & 63
        let free = 64 - used
        position += width
        let mask = width == 64 ? UInt64.max : (UInt64(1) << width) - 1
        if width <= free {
            return (words[word] >> (free - width)) & mask
        }
        let high = words[word] << (width - free)
        let low = words[word + 1] >> (64 - (width - free))
        return (high | low) & mask
    }
}
