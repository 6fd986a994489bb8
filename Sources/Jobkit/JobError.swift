/// An error from Jobkit's API: bad input, bad configuration, or a call at the wrong time.
///
/// Each error carries a ``Code`` to match on and a message that names what it is about
/// (the pool, the task, the cycle), so it can be shown to a user as is.
public struct JobError: Error, CustomStringConvertible, Sendable {
    /// What went wrong. New codes may be added; match with `==`, not exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case unknownPool
            case invalidSlots
            case foreignTask
            case unknownTask
            case dependencyCycle
            case shutDown
            case alreadyRunning
            case taskIDInUse
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A configuration value is out of range (worker count, retention, buffer size, backoff).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A task asks for a pool the scheduler does not have.
        public static let unknownPool = Code(.unknownPool)
        /// A pool size or a slot request is zero, negative, or larger than the pool.
        public static let invalidSlots = Code(.invalidSlots)
        /// A dependency refers to a task of another scheduler or another graph.
        public static let foreignTask = Code(.foreignTask)
        /// No task has this id (or it finished long enough ago to be forgotten).
        public static let unknownTask = Code(.unknownTask)
        /// The dependencies form a cycle; the message names its tasks.
        public static let dependencyCycle = Code(.dependencyCycle)
        /// The scheduler is shutting down and takes no new tasks.
        public static let shutDown = Code(.shutDown)
        /// `run()` was called on a scheduler that is already running or has run.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// A task was submitted with an id (``TaskOptions/id``) another task of this scheduler has.
        public static let taskIDInUse = Code(.taskIDInUse)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A sentence that names the culprit, for people.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
