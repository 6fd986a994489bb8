/// A label or annotation value of an alerting rule: Go's text/template language with Prometheus's
/// functions and variables (`$labels`, `$value`, `$externalLabels`, `$externalURL`), expanded as
/// Prometheus 2.42 expands it.
public struct AlertTemplate: Sendable, Hashable {
    /// What Prometheus puts before every alert template, so the variables exist.
    static let preamble =
        "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
    /// The most actions and text pieces one expansion may run, so a template cannot loop without bound
    /// over a huge query result.
    public static let maximumSteps = 100_000
    /// The most bodies one expansion may be inside at once: `if`/`with`/`range` bodies and `template`
    /// calls (Go allows 100,000 calls; the stack of a concurrency pool thread does not), so a template
    /// that calls itself fails instead of overflowing the stack.
    public static let maximumTemplateDepth = 1000

    public let source: String
    /// The template's name in messages (`__alert_NAME`, as Prometheus names it).
    public let name: String
    private let nodes: [TemplateNode]
    private let definitions: [String: [TemplateNode]]

    /// A template Go's parser refuses: `template: NAME:LINE: MESSAGE`.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Everything an expansion may use besides the alert's labels and value.
    public struct Environment: Sendable {
        public var externalLabels: [String: String]
        public var externalURL: String
        /// Runs `query "…"` at the evaluation time; `nil` makes `query` an error.
        public var query: TemplateQuery?

        public init(externalLabels: [String: String] = [:], externalURL: String = "", query: TemplateQuery? = nil) {
            self.externalLabels = externalLabels
            self.externalURL = externalURL
            self.query = query
        }
    }

    /// Parses `source`; `name` is what errors call it (Prometheus uses `__alert_` and the alert's name).
    public init(_ source: String, name: String = "__alert_") throws(SyntaxError) {
        self.source = source
        self.name = name
        guard source.contains("{{") else {
            nodes = [.text(source)]
            definitions = [:]
            return
        }
        do {
            (nodes, definitions) = try TemplateParser.parse(Self.preamble + source, functions: TemplateFunctions.names)
        } catch {
            throw SyntaxError(description: "template: \(name):\(error.line): \(error.message)")
        }
    }

    /// The PromQL of every `query "…"` with a constant argument: what the engine must keep series for.
    public var queryExpressions: [String] {
        TemplateNode.queryLiterals(nodes) + definitions.values.flatMap(TemplateNode.queryLiterals)
    }

    /// A value taken literally, as recording rules take their labels.
    public init(literal: String) {
        source = literal
        name = ""
        nodes = [.text(literal)]
        definitions = [:]
    }

    /// The text with each action replaced, as Prometheus would expand it; a failure while running gives
    /// `<error expanding template: …>`, as in Prometheus.
    public func expand(labels: Labels, value: Double, environment: Environment = Environment()) -> String {
        let data = TemplateData(
            labels: labels, externalLabels: environment.externalLabels, externalURL: environment.externalURL, value: value)
        let functions = TemplateFunctions(query: environment.query, externalURL: environment.externalURL)
        do {
            return try TemplateExecutor.run(
                nodes, definitions: definitions, dot: .data(data), functions: functions,
                limits: .init(maximumSteps: Self.maximumSteps, maximumDepth: Self.maximumTemplateDepth))
        } catch {
            return "<error expanding template: error executing template \(name): \(describe(error))>"
        }
    }

    /// Go's execution error: `template: NAME:LINE:COLUMN: executing "NAME" at <CONTEXT>: MESSAGE`, the
    /// column a byte offset in its line of the preamble and source together.
    private func describe(_ fault: TemplateFault) -> String {
        let text = Array((Self.preamble + source).utf8)
        let offset = min(fault.offset, text.count)
        let before = text[..<offset]
        let line = 1 + before.count { $0 == UInt8(ascii: "\n") }
        let column = before.lastIndex(of: UInt8(ascii: "\n")).map { offset - $0 - 1 } ?? offset
        return "template: \(name):\(line):\(column): executing \"\(name)\" at <\(fault.context)>: \(fault.message)"
    }

    public static func == (left: AlertTemplate, right: AlertTemplate) -> Bool { left.source == right.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}
