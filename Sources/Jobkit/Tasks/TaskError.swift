/// An error a job throws to say whether another attempt may help.
///
/// A job that throws ``retryable(_:)`` is run again while its ``RetryPolicy`` allows; one that throws
/// ``fatal(_:)`` — or any error that is not a `TaskError` — fails at once.
///
/// ```swift
/// try scheduler.spawnBlocking("fetch", options: TaskOptions(retry: .attempts(3))) { ctx in
///     guard let data = try? download() else { throw TaskError.retryable("mirror unreachable") }
///     guard data.isValid else { throw TaskError.fatal("checksum mismatch") }
/// }
/// ```
public struct TaskError: Error, CustomStringConvertible, Sendable {
    /// Whether a later attempt may succeed.
    public var isRetryable: Bool
    /// What went wrong, for people.
    public var message: String

    public init(isRetryable: Bool, message: String) {
        self.isRetryable = isRetryable
        self.message = message
    }

    /// A failure another attempt may fix (a busy service, a network hiccup).
    public static func retryable(_ message: String) -> TaskError {
        TaskError(isRetryable: true, message: message)
    }

    /// A failure no retry will fix (bad input, a bug).
    public static func fatal(_ message: String) -> TaskError {
        TaskError(isRetryable: false, message: message)
    }

    public var description: String { message }
}
