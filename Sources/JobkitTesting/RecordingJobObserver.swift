public import Jobkit
import Synchronization

/// An observer that records every activity, for assertions.
public final class RecordingJobObserver: JobObserver {
    private let recorded = Mutex<[JobActivity]>([])

    public init() {}

    /// Every activity so far, in order.
    public var activities: [JobActivity] { recorded.withLock { $0 } }

    /// The activities so far that `filter` selects.
    public func activities(where filter: (JobActivity) -> Bool) -> [JobActivity] {
        recorded.withLock { $0.filter(filter) }
    }

    public func observe(_ activity: JobActivity) { recorded.withLock { $0.append(activity) } }
}
