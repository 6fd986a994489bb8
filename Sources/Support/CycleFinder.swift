/// Graph algorithms over adjacency lists (`edges[i]` = the nodes `i` depends on); iterative, so deep
/// chains do not exhaust the stack.
package enum CycleFinder {
    /// A cycle as a list of nodes, each depending on the next and the last on the first; `nil` if none.
    package static func findCycle(edges: [[Int]]) -> [Int]? {
        enum Mark { case unvisited, onPath, done }
        var marks = [Mark](repeating: .unvisited, count: edges.count)
        for root in edges.indices where marks[root] == .unvisited {
            // Each frame: node and the position of the next edge to follow.
            var path: [(node: Int, next: Int)] = [(root, 0)]
            marks[root] = .onPath
            while let top = path.last {
                let dependencies = edges[top.node]
                if top.next == dependencies.count {
                    marks[top.node] = .done
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let dependency = dependencies[top.next]
                switch marks[dependency] {
                case .onPath:
                    let start = path.firstIndex { $0.node == dependency }!
                    return path[start...].map(\.node)
                case .unvisited:
                    marks[dependency] = .onPath
                    path.append((dependency, 0))
                case .done:
                    continue
                }
            }
        }
        return nil
    }

    /// The nodes in an order where every node comes after its dependencies.
    package static func topologicalOrder(edges: [[Int]]) -> [Int] {
        var dependants = [[Int]](repeating: [], count: edges.count)
        var remaining = edges.map(\.count)
        for (node, dependencies) in edges.enumerated() {
            for dependency in dependencies { dependants[dependency].append(node) }
        }
        var ready = edges.indices.filter { remaining[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        order.reserveCapacity(edges.count)
        while let node = ready.popLast() {
            order.append(node)
            for dependant in dependants[node].reversed() {
                remaining[dependant] -= 1
                if remaining[dependant] == 0 { ready.append(dependant) }
            }
        }
        return order
    }
}
