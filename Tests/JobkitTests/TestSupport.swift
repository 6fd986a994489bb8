import Dispatch
import Foundation
import Jobkit
import JobkitTesting
import Synchronization

/// A fixed wall-clock origin so timestamps in tests are reproducible.
let testEpoch = Date(timeIntervalSince1970: 1_700_000_000)

/// A manual clock and the scheduler clock built on it.
func manualClock() -> (ManualClock, JobClock) {
    let clock = ManualClock()
    return (clock, JobClock(clock, wallClockOrigin: testEpoch))
}

/// A gate blocking jobs wait at until the test opens it; no time involved.
final class Gate: Sendable {
    private struct State {
        var arrived = 0
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let semaphore = DispatchSemaphore(value: 0)
    private let state = Mutex(State())

    /// Blocks the calling (worker) thread until ``open(_:)`` lets it through.
    func wait() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.arrived += 1
            let arrived = state.arrived
            defer { state.watchers.removeAll { $0.count <= arrived } }
            return state.watchers.filter { $0.count <= arrived }.map(\.continuation)
        }
        for watcher in ready { watcher.resume() }
        semaphore.wait()
    }

    /// Lets `count` waiting (or future) threads through.
    func open(_ count: Int = 1) {
        for _ in 0..<count { semaphore.signal() }
    }

    /// Returns once at least `count` threads have arrived at the gate.
    func waitForArrivals(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let enough = state.withLock { state -> Bool in
                if state.arrived >= count { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if enough { continuation.resume() }
        }
    }
}

/// Counts activities with atomics: cheap enough for the stress test.
final class CountingObserver: JobObserver {
    let submitted = Atomic<Int>(0)
    let started = Atomic<Int>(0)
    let succeeded = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let acquired = Atomic<Int>(0)
    let released = Atomic<Int>(0)
    let busy = Atomic<Int>(0)
    let idle = Atomic<Int>(0)
    /// Tasks currently in each state, kept from state changes alone.
    let depth = Mutex<[TaskState: Int]>([:])

    func observe(_ activity: JobActivity) {
        switch activity {
        case .stateChanged(_, let previous, let state):
            if previous == nil { submitted.add(1, ordering: .relaxed) }
            depth.withLock { depth in
                if let previous { depth[previous, default: 0] -= 1 }
                depth[state, default: 0] += 1
            }
        case .started:
            started.add(1, ordering: .relaxed)
        case .finished(_, let outcome, _, _, _):
            finished.add(1, ordering: .relaxed)
            if outcome == .succeeded { succeeded.add(1, ordering: .relaxed) }
        case .poolAcquired(_, _, let slots, _):
            acquired.add(slots, ordering: .relaxed)
        case .poolReleased(_, _, let slots):
            released.add(slots, ordering: .relaxed)
        case .workerStateChanged(_, let isBusy):
            if isBusy { busy.add(1, ordering: .relaxed) } else { idle.add(1, ordering: .relaxed) }
        default:
            break
        }
    }
}

/// Runs `body` and returns the `JobError` it threw, or `nil`.
func jobError(_ body: () throws -> Void) -> JobError? {
    do {
        try body()
        return nil
    } catch let error as JobError {
        return error
    } catch {
        return nil
    }
}

/// The reference observers see for the task behind `handle`; its job type is its name unless given.
func ref(_ handle: TaskHandle, jobType: String? = nil, run: String? = nil) -> TaskRef {
    TaskRef(id: handle.id, name: handle.name, jobType: jobType ?? handle.name, correlationID: run)
}
