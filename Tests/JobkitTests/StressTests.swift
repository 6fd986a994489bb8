import Jobkit
import JobkitTesting
import Synchronization
import Testing

/// Deterministic pseudo-random numbers (SplitMix64), so a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What the stress test's jobs write down, under one lock.
final class RunLedger: Sendable {
    struct State {
        var runs: [Int]
        var startOrder: [Int]
        var finishOrder: [Int]
        var clock = 0
        var poolUse: [String: Int] = [:]
        var poolOverfilled = false
    }

    let state: Mutex<State>
    let capacities: [String: Int]

    init(count: Int, capacities: [String: Int]) {
        state = Mutex(
            State(
                runs: Array(repeating: 0, count: count), startOrder: Array(repeating: -1, count: count),
                finishOrder: Array(repeating: -1, count: count)))
        self.capacities = capacities
    }

    func run(_ index: Int, pools: [String: Int]) {
        state.withLock { state in
            state.runs[index] += 1
            state.clock += 1
            state.startOrder[index] = state.clock
            for (pool, slots) in pools {
                state.poolUse[pool, default: 0] += slots
                if state.poolUse[pool]! > capacities[pool]! { state.poolOverfilled = true }
            }
        }
        state.withLock { state in
            for (pool, slots) in pools { state.poolUse[pool]! -= slots }
            state.clock += 1
            state.finishOrder[index] = state.clock
        }
    }
}

@Suite(.timeLimit(.minutes(10)))
struct StressTests {
    static let taskCount = 100_000
    static let batchSize = 1_000
    static let capacities = ["a": 2, "b": 3, "c": 1]

    /// 100,000 tiny tasks with random dependency edges and pool needs all run exactly once, after their
    /// dependencies, never overfilling a pool, and every observer count adds up.
    @Test func aHundredThousandTasksRunOnceInDependencyOrder() async throws {
        var random = SplitMix64(state: 20_261_125)
        let counter = CountingObserver()
        let scheduler = try Scheduler(
            SchedulerConfiguration(
                workers: 4, pools: Self.capacities, finishedTaskRetention: 1_000,
                events: EventStream.Configuration(historyCapacity: 1_000)),
            observers: [counter])
        let ledger = RunLedger(count: Self.taskCount, capacities: Self.capacities)
        var dependencies: [[Int]] = []
        var expectedSlots = 0

        try await withRunningScheduler(scheduler) { scheduler in
            let slow = scheduler.events.subscribe(consumer: "stress", bufferSize: 64)
            var handles: [TaskHandle] = []
            handles.reserveCapacity(Self.taskCount)
            for batchStart in stride(from: 0, to: Self.taskCount, by: Self.batchSize) {
                let graph = TaskGraph()
                var nodes: [TaskGraph.Node] = []
                for index in batchStart..<(batchStart + Self.batchSize) {
                    var pools: [String: Int] = [:]
                    for (pool, capacity) in Self.capacities where Int.random(in: 0..<4, using: &random) == 0 {
                        pools[pool] = Int.random(in: 1...capacity, using: &random)
                    }
                    expectedSlots += pools.values.reduce(0, +)
                    let node = graph.addBlocking("t\(index)", options: TaskOptions(jobType: "stress", pools: pools)) {
                        [pools] _ in ledger.run(index, pools: pools)
                    }
                    var edges: [Int] = []
                    if index > 0 {
                        for _ in 0..<Int.random(in: 0...3, using: &random) {
                            // Mostly recent tasks (deep chains), sometimes far back (wide fan-in).
                            let reach = Bool.random(using: &random) ? min(index, 50) : index
                            let dependency = index - Int.random(in: 1...reach, using: &random)
                            edges.append(dependency)
                            if dependency >= batchStart {
                                node.dependOn(nodes[dependency - batchStart])
                            } else {
                                node.dependOn(handles[dependency])
                            }
                        }
                    }
                    dependencies.append(edges)
                    nodes.append(node)
                }
                handles += try scheduler.submit(graph).all
            }
            await scheduler.waitUntilIdle()
            for handle in handles.prefix(10) + handles.suffix(10) {
                #expect(handle.finishedResult?.outcome == .succeeded)
            }
            var lagged: UInt64 = 0
            var delivered: UInt64 = 0
            var iterator = slow.makeAsyncIterator()
            while delivered + lagged < scheduler.events.lastSeq, let element = await iterator.next() {
                switch element {
                case .lagged(let count): lagged += count
                case .event: delivered += 1
                }
            }
            #expect(delivered == 64)
            #expect(lagged == scheduler.events.lastSeq - 64)
        }

        let state = ledger.state.withLock { $0 }
        #expect(state.runs.allSatisfy { $0 == 1 }, "every task ran exactly once")
        #expect(!state.poolOverfilled)
        var outOfOrder = 0
        for (index, edges) in dependencies.enumerated() {
            for dependency in edges where state.finishOrder[dependency] > state.startOrder[index] { outOfOrder += 1 }
        }
        #expect(outOfOrder == 0, "no task started before a dependency finished")

        let n = Self.taskCount
        #expect(counter.submitted.load(ordering: .relaxed) == n)
        #expect(counter.started.load(ordering: .relaxed) == n)
        #expect(counter.finished.load(ordering: .relaxed) == n)
        #expect(counter.succeeded.load(ordering: .relaxed) == n)
        #expect(counter.acquired.load(ordering: .relaxed) == expectedSlots)
        #expect(counter.released.load(ordering: .relaxed) == expectedSlots)
        #expect(counter.busy.load(ordering: .relaxed) == counter.idle.load(ordering: .relaxed))
        let depth = counter.depth.withLock { $0 }
        #expect(depth.filter { $0.value != 0 } == [.succeeded: n], "state-change hooks balance to all succeeded")
    }
}
