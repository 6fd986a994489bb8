extension MemorydConfig {
    /// The pipeline as Graphviz DOT: a box per job (with its pools and schedule), an edge from each
    /// dependency to its dependant, and a folder per source pointing at the job it starts.
    public func graphviz() -> String {
        var lines = ["digraph memoryd {", "    rankdir=LR;", "    node [shape=box, fontname=\"sans-serif\"];"]
        for job in jobs {
            var label = [job.name]
            if !job.pools.isEmpty {
                label.append(
                    job.pools.sorted { $0.key < $1.key }.map { "pool \($0.key)×\($0.value)" }.joined(separator: ", "))
            }
            if let schedule = job.schedule { label.append(schedule.description) }
            lines.append("    \(Self.quote(job.name)) [label=\(Self.quote(label.joined(separator: "\n")))];")
        }
        for job in jobs {
            for dependency in job.dependsOn {
                lines.append("    \(Self.quote(dependency)) -> \(Self.quote(job.name));")
            }
        }
        for source in sources {
            let node = "source:" + source.name
            lines.append(
                "    \(Self.quote(node)) [shape=folder, label=\(Self.quote("\(source.name)\n\(source.directory)/\(source.glob)"))];"
            )
            lines.append("    \(Self.quote(node)) -> \(Self.quote(source.job)) [style=dashed];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A DOT string literal.
    private static func quote(_ text: String) -> String {
        var escaped = "\""
        for character in text {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }
}
