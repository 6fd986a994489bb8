/// Durations as text, one grammar for config files, command-line options, rule files and PromQL:
/// Prometheus's (`model.ParseDuration`): whole numbers with units `y w d h m s ms`, largest first,
/// each at most once (`90s`, `1h30m`, `2w`).
package enum DurationText {
    /// Milliseconds per unit, largest first, as Prometheus reads them (a year is 365 days).
    package static let units: [(name: String, milliseconds: Int64)] = [
        ("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000),
        ("s", 1000), ("ms", 1),
    ]

    /// What the grammar is, for error messages.
    package static let grammar = "a whole number and a unit (ms, s, m, h, d, w, y), e.g. \"90s\" or \"1h30m\""

    /// The milliseconds `text` stands for; `nil` if it is not a duration or does not fit in 64 bits
    /// (292 million years).
    package static func milliseconds<Text: StringProtocol>(_ text: Text) -> Int64? {
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        var nextUnit = 0  // units must come largest first, each once
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let name = rest.prefix { $0.isASCII && $0.isLetter }
            guard let index = units[nextUnit...].firstIndex(where: { $0.name == name }) else { return nil }
            rest = rest.dropFirst(name.count)
            nextUnit = index + 1
            let (part, overflowed) = amount.multipliedReportingOverflow(by: units[index].milliseconds)
            let (sum, overflowedSum) = total.addingReportingOverflow(part)
            guard !overflowed, !overflowedSum else { return nil }
            total = sum
        }
        return total
    }

    /// `90s`, `15m`, `1h`, `2d`, `250ms`: the largest unit that divides `milliseconds` evenly, as a
    /// config file would write it.
    package static func compact(milliseconds: Int64) -> String {
        for (name, size) in compactUnits where milliseconds >= size && milliseconds % size == 0 {
            return "\(milliseconds / size)\(name)"
        }
        return "\(milliseconds)ms"
    }

    /// Days down to seconds: what people write in a config (not `2w`, and `ms` only when needed).
    private static let compactUnits = units.filter { (1000...86_400_000).contains($0.milliseconds) }

    /// `850ms`, `12.3s`, `4m05s`, `2h03m`: a measured time for people, to the precision that matters.
    package static func human(seconds: Double) -> String {
        switch seconds {
        case ..<1: fixed(seconds * 1000, digits: 0) + "ms"
        case ..<60: fixed(seconds, digits: 1) + "s"
        case ..<3600: "\(Int(seconds) / 60)m" + twoDigits(Int(seconds) % 60) + "s"
        default: "\(Int(seconds) / 3600)h" + twoDigits(Int(seconds) % 3600 / 60) + "m"
        }
    }

    /// `value` rounded to `digits` decimals, as `%.Nf` would print it (no locale, no exponent).
    package static func fixed(_ value: Double, digits: Int) -> String {
        let scale = (0..<digits).reduce(1) { product, _ in product * 10 }
        let scaled = (value * Double(scale)).rounded()
        guard scaled.isFinite, abs(scaled) < Double(Int.max / 2) else { return "\(value)" }
        let whole = Int(scaled)
        let sign = whole < 0 ? "-" : ""
        guard digits > 0 else { return "\(whole)" }
        let fraction = String(abs(whole) % scale)
        return sign + "\(abs(whole) / scale)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
