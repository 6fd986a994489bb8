/// Decodes a rule file's YAML tree into groups and rules as Prometheus 2.42's `rulefmt` does, with the
/// same accept/refuse decisions, collecting every problem (each with its position, group and rule)
/// instead of stopping at the first.
struct RuleFileDecoder {
    let file: String
    private(set) var problems: [RuleFileErrors.Problem] = []

    init(file: String) { self.file = file }

    private mutating func report(_ position: SourcePosition, _ message: String) {
        problems.append(.init(file: file, position: position, message: message))
    }

    /// Reports each key of `entries` given a second time, as go-yaml words it, under `context`.
    private mutating func checkDuplicates(_ entries: [(key: YAMLScalar, value: YAMLNode)], context: String) {
        var first: [String: SourcePosition] = [:]
        for (key, _) in entries {
            if let earlier = first[key.text] {
                report(key.position, context + "mapping key \"\(key.text)\" already defined at line \(earlier.line)")
            } else {
                first[key.text] = key.position
            }
        }
    }

    mutating func groups(_ document: YAMLNode) -> [RuleGroup] {
        guard case .mapping(let top, _) = document else {
            if !document.isNothing {
                report(document.position, "a rule file is a mapping with \"groups\", got \(document.kindDescription)")
            }
            return []
        }
        var groups: [RuleGroup] = []
        var names: Set<String> = []
        checkDuplicates(top, context: "")
        for (key, value) in top {
            guard key.text == "groups" else {
                report(key.position, "unknown field \"\(key.text)\" (a rule file has only \"groups\")")
                continue
            }
            for (index, node) in sequence(value, "groups", context: "").enumerated() {
                guard let group = group(node, index: index + 1) else { continue }
                if !group.name.isEmpty && !names.insert(group.name).inserted {
                    report(node.position, "groupname: \"\(group.name)\" is repeated in the same file")
                }
                groups.append(group)
            }
        }
        return groups
    }

    private mutating func group(_ node: YAMLNode, index: Int) -> RuleGroup? {
        guard case .mapping(let fields, let position) = node else {
            report(node.position, "group \(index): expected a mapping with \"name\" and \"rules\", got \(node.kindDescription)")
            return nil
        }
        let name = fields.first { $0.key.text == "name" }.flatMap { string($0.value, "name", context: "") } ?? ""
        let context = name.isEmpty ? "group \(index): " : "group \"\(name)\": "
        var group = RuleGroup(name: name, file: file, intervalMilliseconds: nil, rules: [])
        var ruleNodes: [YAMLNode] = []
        checkDuplicates(fields, context: context)
        for (key, value) in fields {
            switch key.text {
            case "name": break
            case "interval": group.intervalMilliseconds = duration(value, "interval", context: context)
            case "limit": group.limit = integer(value, "limit", context: context) ?? 0
            case "rules": ruleNodes = sequence(value, "rules", context: context)
            default: report(key.position, context + "unknown field \"\(key.text)\" in a group")
            }
        }
        // Prometheus's words, which say which group by its place alone.
        if name.isEmpty { report(position, "Groupname must not be empty") }
        for (index, ruleNode) in ruleNodes.enumerated() {
            if let rule = rule(ruleNode, group: name, index: index + 1) { group.rules.append(rule) }
        }
        return group
    }

    private mutating func rule(_ node: YAMLNode, group: String, index: Int) -> Rule? {
        guard case .mapping(let fields, let position) = node else {
            report(node.position, "group \"\(group)\", rule \(index): expected a mapping, got \(node.kindDescription)")
            return nil
        }
        func field(_ name: String) -> (key: YAMLScalar, value: YAMLNode)? { fields.first { $0.key.text == name } }
        let alertText = field("alert").flatMap { string($0.value, "alert", context: "") } ?? ""
        let recordText = field("record").flatMap { string($0.value, "record", context: "") } ?? ""
        let context = "group \"\(group)\", rule \(index), \"\(alertText.isEmpty ? recordText : alertText)\": "
        let problemsBefore = problems.count
        checkDuplicates(fields, context: context)
        var expr: YAMLScalar?
        var forMilliseconds: Int64 = 0
        var keepFiring: Int64 = 0
        var labels: [(key: YAMLScalar, value: String)] = []
        var annotations: [(key: YAMLScalar, value: String)] = []
        for (key, value) in fields {
            switch key.text {
            case "alert", "record": break
            case "expr":
                if string(value, "expr", context: context) != nil, case .scalar(let scalar) = value { expr = scalar }
            case "for": forMilliseconds = duration(value, "for", context: context) ?? 0
            case "keep_firing_for": keepFiring = duration(value, "keep_firing_for", context: context) ?? 0
            case "labels": labels = stringMap(value, "labels", context: context)
            case "annotations": annotations = stringMap(value, "annotations", context: context)
            default: report(key.position, context + "unknown field \"\(key.text)\" in a rule")
            }
        }
        func fail(_ at: SourcePosition, _ message: String) { report(at, context + message) }
        let isAlert = !alertText.isEmpty
        if isAlert && !recordText.isEmpty { fail(position, "only one of 'record' and 'alert' must be set") }
        if !isAlert && recordText.isEmpty { fail(position, "one of 'record' or 'alert' must be set") }
        var expression: PromQLExpression?
        if let expr, !expr.text.isEmpty {
            // A range vector or a string parses, as in Prometheus, and fails each evaluation instead.
            do {
                expression = try PromQLParser.parse(expr.text)
            } catch {
                fail(expr.position(ofOffset: error.offset), "could not parse expression: \(error.message)")
            }
        } else {
            fail(expr?.position ?? position, "field 'expr' must be set in rule")
        }
        if !recordText.isEmpty {
            if !annotations.isEmpty { fail(field("annotations")!.key.position, "invalid field 'annotations' in recording rule") }
            if forMilliseconds != 0 { fail(field("for")!.key.position, "invalid field 'for' in recording rule") }
            if keepFiring != 0 {
                fail(field("keep_firing_for")!.key.position, "invalid field 'keep_firing_for' in recording rule")
            }
            if !RuleFile.isMetricName(recordText) {
                fail(field("record")!.value.position, "invalid recording rule name: \(recordText)")
            }
        }
        var rule = Rule(
            kind: isAlert ? .alert(alertText) : .record(recordText), expression: expression ?? .number(0),
            expressionText: expr?.text ?? "", forMilliseconds: forMilliseconds, keepFiringForMilliseconds: keepFiring,
            position: position)
        for (key, value) in labels {
            guard RuleFile.isLabelName(key.text) && key.text != "__name__" else {
                fail(key.position, "invalid label name: \(key.text)")
                continue
            }
            rule.labels.append((key.text, template(value, alert: alertText, kind: "label", key: key, context: context)))
        }
        for (key, value) in annotations {
            guard RuleFile.isLabelName(key.text) else {
                fail(key.position, "invalid annotation name: \(key.text)")
                continue
            }
            rule.annotations.append(
                (key.text, template(value, alert: alertText, kind: "annotation", key: key, context: context)))
        }
        return problems.count == problemsBefore ? rule : nil
    }

    /// An alert's label or annotation, parsed as a template; a recording rule's labels are literal.
    private mutating func template(
        _ text: String, alert: String, kind: String, key: YAMLScalar, context: String
    ) -> AlertTemplate {
        guard !alert.isEmpty else { return AlertTemplate(literal: text) }
        do {
            return try AlertTemplate(text, name: "__alert_" + alert)
        } catch {
            report(key.position, context + "\(kind) \"\(key.text)\": \(error)")
            return AlertTemplate(literal: text)
        }
    }

    // MARK: Typed fields

    /// A scalar's text; null reads as the empty string, as Go leaves a missing string empty.
    private mutating func string(_ node: YAMLNode, _ field: String, context: String) -> String? {
        switch node {
        case .scalar(let scalar): return scalar.isNull ? "" : scalar.text
        case .empty: return ""
        default:
            report(node.position, context + "\"\(field)\": expected a string, got \(node.kindDescription)")
            return nil
        }
    }

    private mutating func sequence(_ node: YAMLNode, _ field: String, context: String) -> [YAMLNode] {
        switch node {
        case .sequence(let items, _): return items
        case .scalar(let scalar) where scalar.isNull: return []
        default:
            report(node.position, context + "\"\(field)\": expected a list, got \(node.kindDescription)")
            return []
        }
    }

    private mutating func stringMap(_ node: YAMLNode, _ field: String, context: String)
        -> [(key: YAMLScalar, value: String)]
    {
        switch node {
        case .mapping(let entries, _):
            checkDuplicates(entries, context: context + "\(field): ")
            return entries.compactMap { entry in
                string(entry.value, "\(field).\(entry.key.text)", context: context).map { (entry.key, $0) }
            }
        case .scalar(let scalar) where scalar.isNull: return []
        default:
            report(node.position, context + "\"\(field)\": expected a mapping of names to strings, got \(node.kindDescription)")
            return []
        }
    }

    /// A Prometheus duration (`30s`, `5m`, `1h30m`), in milliseconds; null is zero.
    private mutating func duration(_ node: YAMLNode, _ field: String, context: String) -> Int64? {
        guard let text = string(node, field, context: context) else { return nil }
        // Prometheus's model.ParseDuration takes a bare "0" besides durations with units.
        if text.isEmpty || text == "0" { return 0 }
        guard let milliseconds = PromQLParser.duration(text) else {
            report(node.position, context + "\"\(field)\": not a valid duration string: \"\(text)\"")
            return nil
        }
        return milliseconds
    }

    private mutating func integer(_ node: YAMLNode, _ field: String, context: String) -> Int? {
        guard let text = string(node, field, context: context) else { return nil }
        if text.isEmpty { return 0 }
        if case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(text) { return value }
        report(node.position, context + "\"\(field)\": expected an integer, got \"\(text)\"")
        return nil
    }
}

extension YAMLNode {
    /// An empty document or a null scalar.
    var isNothing: Bool {
        switch self {
        case .empty: true
        case .scalar(let scalar): scalar.isNull
        default: false
        }
    }
}
