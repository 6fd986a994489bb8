/// Name rules of the Prometheus data model and of promlint, checked at registration.
enum MetricName {
    /// Metric names: `[a-zA-Z_][a-zA-Z0-9_]*` (colons are for recording rules, not exporters).
    static func isValid(_ name: String) -> Bool {
        isIdentifier(name)
    }

    /// Label names: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus).
    static func isValidLabel(_ name: String) -> Bool {
        isIdentifier(name) && !name.hasPrefix("__")
    }

    /// Suffixes a metric name may not end with, because exposition adds them.
    static let reservedSuffixes = ["_bucket", "_count", "_sum", "_created"]

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        guard isLetterOrUnderscore(first) else { return false }
        return name.utf8.allSatisfy { isLetterOrUnderscore($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    private static func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_")
    }
}
