/// How many tasks are in each ``TaskState``, kept by the scheduler core as states change (under its lock,
/// so reading them costs one lock rather than a walk over every task, and keeping them costs the hot path
/// no atomic operation).
///
/// An unfinished state counts the tasks in it now; a terminal state counts every task that has ended
/// in it since the scheduler started (forgetting a finished task does not take it off).
public struct TaskStateCounts: Sendable, Hashable {
    private var counts = [Int](repeating: 0, count: TaskState.allCases.count)

    init() {}

    /// The number of tasks in `state`.
    public subscript(state: TaskState) -> Int {
        get { counts[Self.index(of: state)] }
        set { counts[Self.index(of: state)] = newValue }
    }

    /// Moves one task from `previous` (`nil` for a new task) to `state`.
    mutating func move(from previous: TaskState?, to state: TaskState) {
        if let previous { self[previous] -= 1 }
        self[state] += 1
    }

    private static func index(of state: TaskState) -> Int {
        switch state {
        case .pending: 0
        case .blocked: 1
        case .waiting: 2
        case .running: 3
        case .retryWait: 4
        case .succeeded: 5
        case .failed: 6
        case .cancelled: 7
        }
    }
}
