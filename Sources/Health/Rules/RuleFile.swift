import FoundationEssentials

/// A group of rules from a rule file, evaluated together on its interval.
public struct RuleGroup: Sendable {
    public var name: String
    public var file: String
    /// Milliseconds between evaluations; `nil` means the daemon's `evaluation_interval`.
    public var intervalMilliseconds: Int64?
    /// The most series a recording rule or alerts an alerting rule may produce; 0 means no limit.
    public var limit: Int = 0
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

    /// The groups of a rule file's `text`; `file` names it in errors. Every problem of the file is
    /// reported, not only the first.
    public static func parse(_ text: String, file: String) throws(RuleFileErrors) -> [RuleGroup] {
        let document: YAMLNode
        do {
            // Keys given twice are reported by the decoder, which knows their group and rule.
            document = try YAMLParser.parse(text, limits: YAMLParser.Limits(refusesDuplicateKeys: false))
        } catch {
            throw RuleFileErrors(problems: [.init(file: file, position: error.position, message: error.message)])
        }
        var decoder = RuleFileDecoder(file: file)
        let groups = decoder.groups(document)
        guard decoder.problems.isEmpty else { throw RuleFileErrors(problems: decoder.problems) }
        return groups
    }

    /// Whether `name` may be a label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    public static func isValidLabelName(_ name: String) -> Bool { isLabelName(name) }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.isASCIILetter || $0.isASCIIDigit }
    }

    /// Whether `name` may be a metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first == ":" || first.isASCIILetter else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || $0.isASCIILetter || $0.isASCIIDigit }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
