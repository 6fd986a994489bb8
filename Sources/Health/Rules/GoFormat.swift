#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Numbers printed as Prometheus (Go) prints them in alert templates and its API.
public enum GoFormat {
    /// Go's `%v` for a float64: the shortest digits that read back exactly, in exponent form when the
    /// decimal exponent is below -4 or at least 6 (`123456`, `1.234567e+06`, `1e-05`).
    public static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let (digits, pointPosition) = decimalDigits(abs(value))
        let sign = value < 0 ? "-" : ""
        let exponent = pointPosition - 1
        if exponent < -4 || exponent >= 6 {
            return sign + exponentForm(digits, exponent)
        }
        return sign + positional(digits, pointPosition)
    }

    /// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that read back exactly, never in
    /// exponent form, as Prometheus writes values into labels (`count_values`).
    public static func plain(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let (digits, pointPosition) = decimalDigits(abs(value))
        return (value < 0 ? "-" : "") + positional(digits, pointPosition)
    }

    /// `digits` with the decimal point at `pointPosition`, padded with zeros as needed.
    private static func positional(_ digits: String, _ pointPosition: Int) -> String {
        if pointPosition <= 0 { return "0." + String(repeating: "0", count: -pointPosition) + digits }
        if pointPosition >= digits.count { return digits + String(repeating: "0", count: pointPosition - digits.count) }
        let point = digits.index(digits.startIndex, offsetBy: pointPosition)
        return digits[..<point] + "." + digits[point...]
    }

    /// Go's `%e` with the shortest precision (`4.2e-01`), as `/api/v1/alerts` prints `value`.
    public static func exponent(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return "0e+00" }
        let (digits, pointPosition) = decimalDigits(abs(value))
        return (value < 0 ? "-" : "") + exponentForm(digits, pointPosition - 1)
    }

    /// The shortest round-tripping significant digits of a positive finite value, and where the decimal
    /// point goes (digits × 10^(pointPosition − count)).
    static func decimalDigits(_ value: Double) -> (digits: String, pointPosition: Int) {
        let text = "\(value)"  // Swift prints the shortest round-tripping digits too
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        var pointPosition = whole.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (digits, pointPosition)
    }

    private static func exponentForm(_ digits: String, _ exponent: Int) -> String {
        let mantissa = digits.count > 1 ? String(digits.prefix(1)) + "." + digits.dropFirst() : digits
        let magnitude = abs(exponent)
        return mantissa + (exponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    /// Go's `%.4g`: four significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e4.
    static func fourSignificant(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return cFormatted("%.4g", value)
    }

    /// `value` through C's printf `format` (one `%e`, `%f` or `%g` conversion): the exact decimal
    /// rounding Go's fmt also does, for finite values.
    static func cFormatted(_ format: String, _ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let written = withVaList([value]) { vsnprintf(&buffer, buffer.count, format, $0) }
        if written >= 0 && Int(written) >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(written) + 1)
            _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, format, $0) }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Prometheus' `humanize1024`: binary prefixes (`1.5Ki`, `2Gi`).
    static func humanize1024(_ value: Double) -> String {
        if abs(value) <= 1 || value.isNaN || value.isInfinite { return fourSignificant(value) }
        var scaled = value
        var prefix = ""
        for next in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] where abs(scaled) >= 1024 {
            scaled /= 1024
            prefix = next
        }
        return fourSignificant(scaled) + prefix
    }

    /// Prometheus' `humanize`: SI prefixes (`1.234k`, `500m`).
    static func humanize(_ value: Double) -> String {
        if value == 0 || value.isNaN || value.isInfinite { return fourSignificant(value) }
        var scaled = value
        if abs(value) >= 1 {
            var prefix = ""
            for next in ["k", "M", "G", "T", "P", "E", "Z", "Y"] where abs(scaled) >= 1000 {
                scaled /= 1000
                prefix = next
            }
            return fourSignificant(scaled) + prefix
        }
        var prefix = ""
        for next in ["m", "u", "n", "p", "f", "a", "z", "y"] where abs(scaled) < 1 {
            scaled *= 1000
            prefix = next
        }
        return fourSignificant(scaled) + prefix
    }

    /// Prometheus' `humanizePercentage`: 0.1234 → `12.34%`.
    static func humanizePercentage(_ value: Double) -> String { fourSignificant(value * 100) + "%" }

    /// Prometheus' `humanizeDuration`: `1d 2h 3m 4s`, `4.5s`, `250ms`.
    public static func humanizeDuration(_ seconds: Double) -> String {
        if seconds.isNaN || seconds.isInfinite { return fourSignificant(seconds) }
        if seconds == 0 { return "0s" }
        if abs(seconds) >= 1 {
            let sign = seconds < 0 ? "-" : ""
            let total = Int(abs(seconds))
            let (days, hours, minutes, secs) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
            if days > 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(secs)s" }
            if hours > 0 { return "\(sign)\(hours)h \(minutes)m \(secs)s" }
            if minutes > 0 { return "\(sign)\(minutes)m \(secs)s" }
            return sign + fourSignificant(abs(seconds)) + "s"
        }
        var scaled = seconds
        var unit = ""
        for next in ["ms", "us", "ns", "ps", "fs", "as", "zs", "ys"] where abs(scaled) < 1 {
            scaled *= 1000
            unit = next
        }
        return fourSignificant(scaled) + unit
    }
}
