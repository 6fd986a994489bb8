import JobkitSupport
/// A batch of tasks with dependencies among them, submitted atomically with ``Scheduler/submit(_:)``.
///
/// Use a graph when tasks depend on tasks that do not exist yet, as in a pipeline:
///
/// ```swift
/// let graph = TaskGraph(correlationID: "run-42")
/// let extract = graph.addBlocking("extract", options: TaskOptions(pools: ["llm": 1])) { ctx in … }
/// let consolidate = graph.add("consolidate") { ctx in … }
/// consolidate.dependOn(extract)
/// let handles = try scheduler.submit(graph)
/// let result = await handles[consolidate].result()
/// ```
///
/// A cycle is rejected at submission with an error that names its tasks. A graph is a builder:
/// use it from one thread, and submit it once.
public final class TaskGraph {
    /// A task of a graph, before submission.
    public final class Node {
        let index: Int
        unowned let graph: TaskGraph

        init(index: Int, graph: TaskGraph) {
            self.index = index
            self.graph = graph
        }

        /// The task's name.
        public var name: String { graph.entries[index].name }

        /// Makes this task wait for `other`, a task of the same graph.
        public func dependOn(_ other: Node) {
            graph.entries[index].localDependencies.append(other)
        }

        /// Makes this task wait for an already-submitted task.
        public func dependOn(_ handle: TaskHandle) {
            graph.entries[index].options.dependsOn.append(handle)
        }
    }

    /// The handles of a submitted graph.
    public struct Handles: Sendable {
        let graphID: ObjectIdentifier
        /// In the order the nodes were added.
        public let all: [TaskHandle]

        init(graphID: ObjectIdentifier, handles: [TaskHandle]) {
            self.graphID = graphID
            self.all = handles
        }

        /// The handle of `node`.
        public subscript(node: Node) -> TaskHandle {
            precondition(ObjectIdentifier(node.graph) == graphID, "node \(node.name) belongs to another graph")
            return all[node.index]
        }
    }

    struct Entry {
        let name: String
        let body: TaskBody
        var options: TaskOptions
        var localDependencies: [Node]
    }

    var entries: [Entry] = []
    /// Applied to every task that does not set its own.
    public let correlationID: String?

    public init(correlationID: String? = nil) {
        self.correlationID = correlationID
    }

    var id: ObjectIdentifier { ObjectIdentifier(self) }

    /// Adds an async job.
    @discardableResult
    public func add(
        _ name: String,
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (TaskContext) async throws -> Void
    ) -> Node {
        append(name, options: options, body: .async(body))
    }

    /// Adds a blocking job.
    @discardableResult
    public func addBlocking(
        _ name: String,
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (TaskContext) throws -> Void
    ) -> Node {
        append(name, options: options, body: .blocking(body))
    }

    /// The nodes, in the order they were added.
    public var nodes: [Node] { entries.indices.map { Node(index: $0, graph: self) } }

    private func append(_ name: String, options: TaskOptions, body: TaskBody) -> Node {
        var options = options
        if options.correlationID == nil { options.correlationID = correlationID }
        entries.append(Entry(name: name, body: body, options: options, localDependencies: []))
        return Node(index: entries.count - 1, graph: self)
    }

    /// Checks that every dependency stays inside this graph and that there is no cycle.
    ///
    /// - Throws: ``JobError``: `.foreignTask` for a node of another graph, `.dependencyCycle` naming the
    ///   cycle's tasks (`a → b → a`).
    public func checkAcyclic() throws {
        for entry in entries {
            if let foreign = entry.localDependencies.first(where: { $0.graph !== self }) {
                throw JobError(
                    .foreignTask, "task '\(entry.name)' depends on '\(foreign.name)', a node of another graph")
            }
        }
        let edges = entries.map { $0.localDependencies.map(\.index) }
        if let cycle = CycleFinder.findCycle(edges: edges) {
            let names = (cycle + [cycle[0]]).map { "'\(entries[$0].name)'" }
            let path = names.joined(separator: " → ")
            throw JobError(.dependencyCycle, "tasks depend on each other in a cycle: \(path)")
        }
    }

    /// The tasks in an order where every task comes after its dependencies (the graph must be acyclic),
    /// with each task's node index.
    func newTasks() -> (tasks: [NewTask], nodeIndices: [Int]) {
        let edges = entries.map { $0.localDependencies.map(\.index) }
        let order = CycleFinder.topologicalOrder(edges: edges)
        var position = [Int](repeating: 0, count: entries.count)
        for (rank, index) in order.enumerated() { position[index] = rank }
        let tasks = order.map { index in
            let entry = entries[index]
            return NewTask(
                name: entry.name, body: entry.body, options: entry.options,
                localDependencies: entry.localDependencies.map { position[$0.index] })
        }
        return (tasks, order)
    }
}

@available(*, unavailable)
extension TaskGraph: Sendable {}

@available(*, unavailable)
extension TaskGraph.Node: Sendable {}
