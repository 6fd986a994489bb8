/// One entry of an HTTP header list with q-values (`Accept`, `Accept-Encoding`): its token, lower-cased,
/// its parameters, and its quality (1 unless `q=` says otherwise).
package struct QualityListEntry: Sendable {
    package var token: String
    package var parameters: [String: String]
    package var quality: Double

    /// The entries of `header` (`a/b;q=0.5, c;version=1`), in order; entries without a token are skipped.
    package static func parse(_ header: String) -> [QualityListEntry] {
        header.split(separator: ",").compactMap { entry in
            let parts = entry.split(separator: ";").map { $0.trimmingWhitespace() }
            guard let token = parts.first?.lowercased(), !token.isEmpty else { return nil }
            var parameters: [String: String] = [:]
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard pair.count == 2 else { continue }
                let name = pair[0].lowercased()
                if name == "q" { quality = Double(pair[1]) ?? 0 } else { parameters[name] = pair[1] }
            }
            return QualityListEntry(token: token, parameters: parameters, quality: quality)
        }
    }
}
