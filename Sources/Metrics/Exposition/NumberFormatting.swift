/// Number rendering shared by both exposition formats.
enum NumberFormatting {
    /// Largest magnitude printed as a plain integer: beyond 2^53 doubles skip integers.
    static let exactIntegerLimit = 9_007_199_254_740_992.0

    /// A sample value: integers without a fraction, other values round-trippably, `+Inf`/`-Inf`/`NaN`.
    static func appendValue(_ value: Double, to bytes: inout [UInt8]) {
        if value.isNaN {
            bytes += "NaN".utf8
        } else if value.isInfinite {
            bytes += (value > 0 ? "+Inf" : "-Inf").utf8
        } else if value == value.rounded(.towardZero) && abs(value) < exactIntegerLimit {
            appendInteger(Int64(value), to: &bytes)
        } else {
            bytes += value.description.utf8
        }
    }

    /// A bucket bound in canonical form (`0.005`, `1.0`, `+Inf`), as OpenMetrics requires for `le`.
    static func appendBound(_ bound: Double, to bytes: inout [UInt8]) {
        if bound.isInfinite {
            bytes += (bound > 0 ? "+Inf" : "-Inf").utf8
        } else {
            bytes += bound.description.utf8
        }
    }

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendUnsigned(value.magnitude, to: &bytes)
        } else {
            appendUnsigned(UInt64(value), to: &bytes)
        }
    }

    static func appendUnsigned(_ value: UInt64, to bytes: inout [UInt8]) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var remaining = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while remaining > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }
}
