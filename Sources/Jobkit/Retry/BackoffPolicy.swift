/// How long to wait before the next attempt: exponential growth with a cap and random jitter.
///
/// The delay before retry *n* (1-based) is `min(maximum, initial × factor^(n−1))`, then spread by
/// ±`jitter` × delay. The seed daemon's "5 min, doubling, at most 30 min, reset on success" is
/// `BackoffPolicy(initial: .seconds(300), maximum: .seconds(1800), factor: 2, jitter: 0)` driven by a
/// ``Backoff``.
public struct BackoffPolicy: Sendable, Hashable {
    /// Default first delay: 1 s.
    public static let defaultInitial: Duration = .seconds(1)
    /// Default cap: 5 min.
    public static let defaultMaximum: Duration = .seconds(300)
    /// Default growth factor: 2 (doubling).
    public static let defaultFactor = 2.0
    /// Default jitter: ±10 % of the delay, so retries of many tasks do not arrive in lockstep.
    public static let defaultJitter = 0.1

    /// Delay before the first retry.
    public var initial: Duration
    /// Upper bound of any delay, before jitter.
    public var maximum: Duration
    /// Multiplier from one delay to the next (1 = constant delay).
    public var factor: Double
    /// Relative random spread, from 0 (none) to 1 (anywhere from zero to twice the delay).
    public var jitter: Double

    public init(
        initial: Duration = defaultInitial,
        maximum: Duration = defaultMaximum,
        factor: Double = defaultFactor,
        jitter: Double = defaultJitter
    ) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
    }

    /// A delay that does not grow and has no jitter.
    public static func constant(_ delay: Duration) -> BackoffPolicy {
        BackoffPolicy(initial: delay, maximum: delay, factor: 1, jitter: 0)
    }

    /// Checks the values make sense.
    ///
    /// - Throws: ``JobError`` (`.invalidConfiguration`) naming the bad field.
    public func validate() throws {
        guard initial >= .zero else { throw JobError(.invalidConfiguration, "backoff initial \(initial) is negative") }
        guard maximum >= initial else {
            throw JobError(.invalidConfiguration, "backoff maximum \(maximum) is below initial \(initial)")
        }
        guard factor >= 1, factor.isFinite else {
            throw JobError(.invalidConfiguration, "backoff factor \(factor) must be a finite number ≥ 1")
        }
        guard (0...1).contains(jitter) else {
            throw JobError(.invalidConfiguration, "backoff jitter \(jitter) must be between 0 and 1")
        }
    }

    /// The delay before retry number `retry` (1 for the first retry).
    ///
    /// - Parameters:
    ///   - retry: 1-based retry number; values below 1 are treated as 1.
    ///   - unitRandom: a number in `0..<1` that places the jitter; 0.5 means no displacement.
    public func delay(beforeRetry retry: Int, unitRandom: Double) -> Duration {
        let exponent = Double(max(retry, 1) - 1)
        let base = min(initial.seconds * pow(factor, exponent), maximum.seconds)
        let spread = base * jitter * (2 * unitRandom - 1)
        return Duration.seconds(max(base + spread, 0))
    }
}

/// Backoff state for a recurring piece of work: grows with each failure, resets on success.
///
/// ```swift
/// var backoff = Backoff(policy: BackoffPolicy(initial: .seconds(300), maximum: .seconds(1800), jitter: 0))
/// backoff.failed()      // 5 min
/// backoff.failed()      // 10 min
/// backoff.succeeded()   // next failure waits 5 min again
/// ```
public struct Backoff: Sendable, Hashable {
    public let policy: BackoffPolicy
    /// Failures since the last success.
    public private(set) var consecutiveFailures = 0

    public init(policy: BackoffPolicy) {
        self.policy = policy
    }

    /// Records a failure and returns how long to wait before trying again.
    ///
    /// - Parameter unitRandom: a number in `0..<1` placing the jitter
    ///   (see ``BackoffPolicy/delay(beforeRetry:unitRandom:)``).
    public mutating func failed(unitRandom: Double = Double.random(in: 0..<1)) -> Duration {
        consecutiveFailures += 1
        return policy.delay(beforeRetry: consecutiveFailures, unitRandom: unitRandom)
    }

    /// Records a success: the next failure starts again from the initial delay.
    public mutating func succeeded() {
        consecutiveFailures = 0
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    // Integral exponents only (retry counts), so repeated multiplication is exact enough and avoids libm.
    var result = 1.0
    var remaining = Int(exponent)
    while remaining > 0 && result.isFinite {
        result *= base
        remaining -= 1
    }
    return result
}
