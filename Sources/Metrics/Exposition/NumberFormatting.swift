/// Number rendering shared by the exposition formats, writing straight into a ``ByteSink``.
enum NumberFormatting {
    /// Largest magnitude printed as a plain integer: beyond 2^53 doubles skip integers.
    static let exactIntegerLimit = 9_007_199_254_740_992.0

    /// A sample value: integers without a fraction, other values round-trippably, `+Inf`/`-Inf`/`NaN`.
    @inline(__always)
    static func appendValue<Sink: ByteSink>(_ value: Double, to bytes: inout Sink) {
        if value == value.rounded(.towardZero) && abs(value) < exactIntegerLimit {
            appendInteger(Int64(value), to: &bytes)
        } else if value.isNaN {
            bytes.append("NaN")
        } else if value.isInfinite {
            bytes.append(value > 0 ? "+Inf" : "-Inf")
        } else {
            bytes.append(value.description)
        }
    }

    /// A bucket bound in canonical form (`0.005`, `1.0`, `+Inf`), as OpenMetrics requires for `le`.
    static func appendBound<Sink: ByteSink>(_ bound: Double, to bytes: inout Sink) {
        if bound.isInfinite {
            bytes.append(bound > 0 ? "+Inf" : "-Inf")
        } else {
            bytes.append(bound.description)
        }
    }

    /// Seconds since the epoch to the millisecond (`1700000000.25`, `1700000000.0`), without allocating.
    static func appendTimestamp<Sink: ByteSink>(_ seconds: Double, to bytes: inout Sink) {
        guard seconds.isFinite, seconds >= 0, seconds < exactIntegerLimit / 1000 else {
            appendValue(seconds, to: &bytes)
            return
        }
        let milliseconds = UInt64((seconds * 1000).rounded())
        appendUnsigned(milliseconds / 1000, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        var fraction = milliseconds % 1000
        if fraction == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var divisor: UInt64 = 100
        while fraction > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    @inline(__always)
    static func appendInteger<Sink: ByteSink>(_ value: Int64, to bytes: inout Sink) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendUnsigned(value.magnitude, to: &bytes)
        } else {
            appendUnsigned(UInt64(value), to: &bytes)
        }
    }

    /// Decimal digits of `value`, written right to left into a stack buffer and copied once.
    @inline(__always)
    static func appendUnsigned<Sink: ByteSink>(_ value: UInt64, to bytes: inout Sink) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        let maximumDigits = 20
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumDigits) { digits in
            var start = maximumDigits
            var remaining = value
            while remaining > 0 {
                start &-= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
                remaining /= 10
            }
            bytes.append(bytes: UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(digits)[start...]))
        }
    }
}
