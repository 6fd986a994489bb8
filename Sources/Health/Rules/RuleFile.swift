import FoundationEssentials

/// A group of rules from a rule file, evaluated together on its interval.
public struct RuleGroup: Sendable {
    public var name: String
    public var file: String
    /// Milliseconds between evaluations; `nil` means the daemon's `evaluation_interval`.
    public var intervalMilliseconds: Int64?
    public var rules: [Rule]
}

/// One alerting or recording rule.
public struct Rule: Sendable {
    public enum Kind: Sendable, Hashable {
        case alert(String)
        case record(String)
    }

    public var kind: Kind
    public var expression: PromQLExpression
    /// The expression as written in the file.
    public var expressionText: String
    /// How long an alert stays pending before it fires.
    public var forMilliseconds: Int64 = 0
    /// How long a firing alert keeps firing after its expression stops returning it.
    public var keepFiringForMilliseconds: Int64 = 0
    public var labels: [(name: String, template: AlertTemplate)] = []
    public var annotations: [(name: String, template: AlertTemplate)] = []
    public var position: SourcePosition

    public var name: String {
        switch kind {
        case .alert(let name), .record(let name): name
        }
    }
}

/// Everything wrong with a rule file, each problem with its `file:line:column`.
public struct RuleFileErrors: Error, Sendable, CustomStringConvertible {
    /// One problem and where it is.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var position: SourcePosition
        public var message: String
        public var description: String { "\(file):\(position): \(message)" }
    }

    public var problems: [Problem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads rule files in Prometheus' format (`groups:` of `rules:` with `alert`/`record`, `expr`, `for`,
/// `keep_firing_for`, `labels`, `annotations`), parsing and type-checking every expression.
public enum RuleFile {
    /// The groups of the file at `path`.
    public static func load(path: String) throws(RuleFileErrors) -> [RuleGroup] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RuleFileErrors(problems: [
                .init(
                    file: path, position: SourcePosition(line: 1, column: 1), message: "cannot read the file: \(error)")
            ])
        }
        return try parse(text, file: path)
    }

    /// The groups of a rule file's `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(RuleFileErrors) -> [RuleGroup] {
        var problems: [RuleFileErrors.Problem] = []
        let document: YAMLNode
        do {
            document = try YAMLReader.parse(text)
        } catch {
            throw RuleFileErrors(problems: [.init(file: file, position: error.position, message: error.message)])
        }
        func report(_ position: SourcePosition, _ message: String) {
            problems.append(.init(file: file, position: position, message: message))
        }

        var groups: [RuleGroup] = []
        guard case .mapping(let top, _) = document else {
            if case .empty = document { return [] }
            throw RuleFileErrors(problems: [
                .init(file: file, position: document.position, message: "a rule file is a mapping with 'groups:'")
            ])
        }
        for (key, value) in top where key.text != "groups" {
            report(key.position, "field \(key.text) not found in type rulefmt.RuleGroups")
            _ = value
        }
        guard let groupsNode = top.first(where: { $0.key.text == "groups" })?.value else { return [] }
        guard case .sequence(let groupNodes, _) = groupsNode else {
            if case .empty = groupsNode { return [] }
            throw RuleFileErrors(problems: [
                .init(file: file, position: groupsNode.position, message: "'groups' must be a list")
            ])
        }
        var groupNames: Set<String> = []
        for groupNode in groupNodes {
            guard case .mapping(let fields, let position) = groupNode else {
                report(groupNode.position, "a group is a mapping with 'name' and 'rules'")
                continue
            }
            var group = RuleGroup(name: "", file: file, intervalMilliseconds: nil, rules: [])
            var ruleNodes: [YAMLNode] = []
            for (key, value) in fields {
                switch key.text {
                case "name": group.name = scalarText(value) ?? ""
                case "interval":
                    group.intervalMilliseconds = duration(value, report)
                case "limit":
                    if scalarText(value).flatMap(Int.init) == nil { report(value.position, "limit must be an integer") }
                case "rules":
                    if case .sequence(let nodes, _) = value {
                        ruleNodes = nodes
                    } else if case .empty = value {
                    } else {
                        report(value.position, "'rules' must be a list")
                    }
                default: report(key.position, "field \(key.text) not found in type rulefmt.RuleGroup")
                }
            }
            if group.name.isEmpty {
                report(position, "Groupname must not be empty")
            } else if !groupNames.insert(group.name).inserted {
                report(position, "groupname: \"\(group.name)\" is repeated in the same file")
            }
            for (index, ruleNode) in ruleNodes.enumerated() {
                if let rule = parseRule(ruleNode, group: group.name, index: index + 1, report) {
                    group.rules.append(rule)
                }
            }
            groups.append(group)
        }
        guard problems.isEmpty else { throw RuleFileErrors(problems: problems) }
        return groups
    }

    private static func parseRule(
        _ node: YAMLNode, group: String, index: Int, _ report: (SourcePosition, String) -> Void
    ) -> Rule? {
        guard case .mapping(let fields, let position) = node else {
            report(node.position, "group \"\(group)\", rule \(index): a rule is a mapping")
            return nil
        }
        var alert: YAMLScalar?
        var record: YAMLScalar?
        var expr: YAMLScalar?
        var forMilliseconds: Int64 = 0
        var keepFiring: Int64 = 0
        var labelNodes: [(key: YAMLScalar, value: YAMLNode)] = []
        var annotationNodes: [(key: YAMLScalar, value: YAMLNode)] = []
        var sawFor = false
        var sawKeepFiring = false
        var sawAnnotations = false
        for (key, value) in fields {
            switch key.text {
            case "alert": alert = scalar(value)
            case "record": record = scalar(value)
            case "expr": expr = scalar(value)
            case "for":
                sawFor = true
                forMilliseconds = duration(value, report) ?? 0
            case "keep_firing_for":
                sawKeepFiring = true
                keepFiring = duration(value, report) ?? 0
            case "labels": labelNodes = mapping(value, report)
            case "annotations":
                sawAnnotations = true
                annotationNodes = mapping(value, report)
            default: report(key.position, "field \(key.text) not found in type rulefmt.RuleNode")
            }
        }
        let name = alert?.text ?? record?.text ?? ""
        let prefix = "group \"\(group)\", rule \(index), \"\(name)\": "
        func fail(_ at: SourcePosition, _ message: String) -> Rule? {
            report(at, prefix + message)
            return nil
        }
        if alert != nil && record != nil { return fail(position, "only one of 'record' and 'alert' must be set") }
        if alert == nil && record == nil { return fail(position, "one of 'record' or 'alert' must be set") }
        guard let expr, !expr.text.isEmpty else { return fail(position, "field 'expr' must be set in rule") }
        let expression: PromQLExpression
        do {
            expression = try PromQLParser.parse(expr.text)
        } catch {
            return fail(expr.position(ofOffset: error.offset), "could not parse expression: \(error.message)")
        }
        if expression.type == .matrix {
            return fail(
                expr.position, "could not parse expression: a rule's expression must be an instant vector or scalar")
        }
        var rule = Rule(
            kind: alert.map { .alert($0.text) } ?? .record(record!.text), expression: expression,
            expressionText: expr.text, forMilliseconds: forMilliseconds, keepFiringForMilliseconds: keepFiring,
            position: position)
        if record != nil {
            if sawAnnotations { return fail(position, "invalid field 'annotations' in recording rule") }
            if sawFor { return fail(position, "invalid field 'for' in recording rule") }
            if sawKeepFiring { return fail(position, "invalid field 'keep_firing_for' in recording rule") }
            if !isMetricName(name) { return fail(record!.position, "invalid recording rule name: \(name)") }
        }
        for (key, value) in labelNodes {
            guard isLabelName(key.text) else { return fail(key.position, "invalid label name: \(key.text)") }
            do {
                rule.labels.append((key.text, try AlertTemplate(scalarText(value) ?? "")))
            } catch {
                return fail(value.position, "label \"\(key.text)\": \(error)")
            }
        }
        for (key, value) in annotationNodes {
            guard isLabelName(key.text) else { return fail(key.position, "invalid annotation name: \(key.text)") }
            do {
                rule.annotations.append((key.text, try AlertTemplate(scalarText(value) ?? "")))
            } catch {
                return fail(value.position, "annotation \"\(key.text)\": \(error)")
            }
        }
        return rule
    }

    private static func scalar(_ node: YAMLNode) -> YAMLScalar? {
        if case .scalar(let scalar) = node { return scalar }
        return nil
    }

    private static func scalarText(_ node: YAMLNode) -> String? { scalar(node)?.text }

    private static func mapping(_ node: YAMLNode, _ report: (SourcePosition, String) -> Void)
        -> [(key: YAMLScalar, value: YAMLNode)]
    {
        switch node {
        case .mapping(let entries, _): return entries
        case .empty: return []
        default:
            report(node.position, "expected a mapping of names to values")
            return []
        }
    }

    /// A Prometheus duration (`30s`, `5m`, `1h30m`), in milliseconds.
    private static func duration(_ node: YAMLNode, _ report: (SourcePosition, String) -> Void) -> Int64? {
        guard let text = scalarText(node), let milliseconds = PromQLParser.duration(text) else {
            report(node.position, "not a valid duration string: \"\(scalarText(node) ?? "")\"")
            return nil
        }
        return milliseconds
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.isASCIILetter, name != "__name__" else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.isASCIILetter || ("0"..."9").contains($0) }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first == ":" || first.isASCIILetter else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || $0.isASCIILetter || ("0"..."9").contains($0) }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
