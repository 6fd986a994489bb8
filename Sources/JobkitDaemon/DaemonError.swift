import JobkitSupport
#if canImport(Glibc)
    import Glibc
#endif

/// An error from the daemon kit: a failed system call, a bad address, a listener that would not start.
public struct DaemonError: Error, CustomStringConvertible, Sendable {
    /// What went wrong. New codes may be added; match with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case system, invalidAddress, listener, `internal`, invalidConfiguration, alreadyRunning, damagedState
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A system call failed; ``DaemonError/errno`` says why.
        public static let system = Code(.system)
        /// A listen address that does not parse.
        public static let invalidAddress = Code(.invalidAddress)
        /// libmicrohttpd refused to start.
        public static let listener = Code(.listener)
        /// A library the daemon uses failed unexpectedly (zlib out of memory).
        public static let `internal` = Code(.internal)
        /// A setting out of its range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Another process holds the instance lock.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// State on disk that cannot be trusted: unreadable, from elsewhere, or out of range.
        public static let damagedState = Code(.damagedState)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The `errno` of a failed system call.
    public var errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// An error for the system call `operation` on `path` (if any), from the current `errno`.
    static func system(_ operation: String, path: String? = nil, errno code: Int32 = Glibc.errno) -> DaemonError {
        let reason = String(cString: strerror(code))
        let target = path.map { " \($0)" } ?? ""
        return DaemonError(.system, "\(operation)\(target): \(reason)", errno: code)
    }

    public var description: String { message }
}

/// Runs a system call, retrying on `EINTR`; a result of -1 throws ``DaemonError`` with the errno.
@discardableResult
func syscall(_ operation: String, path: String? = nil, _ call: () -> Int32) throws -> Int32 {
    let result = SystemCall.retrying(call)
    if result == -1 { throw DaemonError.system(operation, path: path) }
    return result
}
