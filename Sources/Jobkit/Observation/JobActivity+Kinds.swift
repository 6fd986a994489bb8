extension JobActivity {
    /// A set of kinds of activity, one per case: what an observer wants to be given
    /// (``JobObserver/interests``).
    public struct Kinds: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16

        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let stateChanged = Kinds(rawValue: 1 << 0)
        public static let started = Kinds(rawValue: 1 << 1)
        public static let progress = Kinds(rawValue: 1 << 2)
        public static let log = Kinds(rawValue: 1 << 3)
        public static let retrying = Kinds(rawValue: 1 << 4)
        public static let interrupted = Kinds(rawValue: 1 << 5)
        public static let finished = Kinds(rawValue: 1 << 6)
        public static let poolWaitBegan = Kinds(rawValue: 1 << 7)
        public static let poolAcquired = Kinds(rawValue: 1 << 8)
        public static let poolReleased = Kinds(rawValue: 1 << 9)
        public static let workerStateChanged = Kinds(rawValue: 1 << 10)

        /// Every kind, including any added later.
        public static let all = Kinds(rawValue: .max)
    }

    /// The kind of this activity.
    public var kind: Kinds {
        switch self {
        case .stateChanged: .stateChanged
        case .started: .started
        case .progress: .progress
        case .log: .log
        case .retrying: .retrying
        case .interrupted: .interrupted
        case .finished: .finished
        case .poolWaitBegan: .poolWaitBegan
        case .poolAcquired: .poolAcquired
        case .poolReleased: .poolReleased
        case .workerStateChanged: .workerStateChanged
        }
    }
}
