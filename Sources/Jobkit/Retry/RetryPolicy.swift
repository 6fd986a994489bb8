/// How often a task is attempted and how long it waits between attempts.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt (0 = run once).
    public var maxRetries: Int
    /// Delay between attempts.
    public var backoff: BackoffPolicy
    /// Whether an attempt that ran past its timeout is retried like a retryable error (default `true`).
    public var retriesTimeouts: Bool

    /// Default for ``retriesTimeouts``: a timeout is usually a transient condition.
    public static let defaultRetriesTimeouts = true

    public init(
        maxRetries: Int, backoff: BackoffPolicy = BackoffPolicy(), retriesTimeouts: Bool = defaultRetriesTimeouts
    ) {
        self.maxRetries = maxRetries
        self.backoff = backoff
        self.retriesTimeouts = retriesTimeouts
    }

    /// One attempt, no retries.
    public static let none = RetryPolicy(maxRetries: 0)

    /// Up to `retries` retries with the given backoff.
    public static func retries(_ retries: Int, backoff: BackoffPolicy = BackoffPolicy()) -> RetryPolicy {
        RetryPolicy(maxRetries: retries, backoff: backoff)
    }

    /// Total attempts allowed, the first included.
    public var maxAttempts: Int { maxRetries + 1 }

    /// Checks the values make sense.
    ///
    /// - Throws: ``JobError`` (`.invalidConfiguration`) naming the bad field.
    public func validate() throws {
        guard maxRetries >= 0 else { throw JobError(.invalidConfiguration, "retries \(maxRetries) is negative") }
        try backoff.validate()
    }
}

/// The decision after an attempt ends: pure logic, tested without a scheduler.
package struct RetryDecision: Equatable {
    package enum Action: Equatable {
        case finish(TaskOutcome)
        case retry(after: Duration)
    }

    /// Decides what follows an attempt that ended with `ending`; `attempt` counts the attempts the policy
    /// covers (not those interrupted by a shutdown or made before submission). `unitRandom` is only
    /// drawn for a retry, so a task that succeeds costs no random number.
    package static func after(
        attempt: Int,
        ending: AttemptEnding,
        policy: RetryPolicy,
        unitRandom: @autoclosure () -> Double
    ) -> Action {
        let mayRetry = attempt < policy.maxAttempts
        switch ending {
        case .succeeded:
            return .finish(.succeeded)
        case .cancelled, .interrupted:
            return .finish(.cancelled)
        case .fatal:
            return .finish(.failed)
        case .timedOut:
            guard policy.retriesTimeouts, mayRetry else { return .finish(.timedOut) }
            return .retry(after: policy.backoff.delay(beforeRetry: attempt, unitRandom: unitRandom()))
        case .retryable:
            guard mayRetry else { return .finish(policy.maxRetries > 0 ? .retriesExhausted : .failed) }
            return .retry(after: policy.backoff.delay(beforeRetry: attempt, unitRandom: unitRandom()))
        }
    }
}

/// How one attempt ended, before retry policy is applied.
package enum AttemptEnding: Equatable {
    case succeeded
    case retryable
    case fatal
    case timedOut
    case cancelled
    /// Stopped by a shutdown that keeps the task for later (``Scheduler/ShutdownMode/interrupt``).
    case interrupted
}
