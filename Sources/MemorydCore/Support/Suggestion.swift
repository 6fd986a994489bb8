/// "Did you mean …?" for a misspelt name: the closest known name by edit distance, when it is close.
package enum Suggestion {
    /// Largest edit distance suggested, as a fraction of the longer name's length: a third lets
    /// `workres`, `retires` and `dependson` find their key but keeps `name` from suggesting `pool`.
    package static let maximumDistanceFraction = 1.0 / 3.0

    /// The name in `known` nearest to `name` (letters added, removed, replaced or two swapped, case
    /// ignored), or `nil` when none is within ``maximumDistanceFraction``.
    package static func closest(to name: String, among known: some Sequence<String>) -> String? {
        let typed = Array(name.lowercased())
        var best: (name: String, distance: Int)?
        for candidate in known where candidate != name {
            let distance = editDistance(typed, Array(candidate.lowercased()))
            let allowed = max(1, Int(Double(max(typed.count, candidate.count)) * maximumDistanceFraction))
            // Something of the typed name must remain: `b` is not a misspelt `a`.
            if distance <= allowed, distance < typed.count, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// `"; did you mean 'NAME'?"`, or `""` when nothing is close.
    package static func phrase(for name: String, among known: some Sequence<String>) -> String {
        closest(to: name, among: known).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
