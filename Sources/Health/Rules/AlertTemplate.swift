/// A label or annotation value with `{{ … }}` actions, in the part of Go's template language alert rules
/// use: `{{ $labels.NAME }}`, `{{ $value }}` (or `.Labels.NAME`, `.Value`), each optionally piped through
/// `humanize`, `humanizePercentage`, `humanizeDuration`, `toUpper` or `toLower`.
public struct AlertTemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case text(String)
        case label(String, [Filter])
        case value([Filter])
    }

    enum Filter: String, Sendable, Hashable {
        case humanize, humanizePercentage, humanizeDuration, toUpper, toLower
    }

    let parts: [Part]
    public let source: String

    /// A template that is not in the supported part of the language.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(_ source: String) throws(SyntaxError) {
        self.source = source
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw SyntaxError(description: "template: unclosed action")
            }
            parts.append(try Self.action(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    private static func action(_ raw: String) throws(SyntaxError) -> Part {
        var body = Substring(raw)
        if body.hasPrefix("-") { body = body.dropFirst() }
        if body.hasSuffix("-") { body = body.dropLast() }
        let stages = body.split(separator: "|").map { String($0).trimmingWhitespace() }
        guard let head = stages.first, !head.isEmpty else { throw SyntaxError(description: "template: empty action") }
        var filters: [Filter] = []
        for stage in stages.dropFirst() {
            guard let filter = Filter(rawValue: stage) else {
                throw SyntaxError(description: "template: function \"\(stage)\" is not supported (docs/rules.md)")
            }
            filters.append(filter)
        }
        if head == "$value" || head == ".Value" { return .value(filters) }
        for prefix in ["$labels.", ".Labels."] where head.hasPrefix(prefix) {
            let name = String(head.dropFirst(prefix.count))
            guard RuleFile.isLabelName(name) else {
                throw SyntaxError(description: "template: bad label name \"\(name)\"")
            }
            return .label(name, filters)
        }
        throw SyntaxError(
            description: "template: \"\(head)\" is not supported; use $labels.NAME or $value (docs/rules.md)")
    }

    /// The text with each action replaced, as Prometheus would expand it.
    public func expand(labels: Labels, value: Double) -> String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .label(let name, let filters): Self.apply(filters, to: .text(labels[name] ?? ""))
            case .value(let filters): Self.apply(filters, to: .number(value))
            }
        }.joined()
    }

    private enum Piped {
        case text(String)
        case number(Double)
    }

    private static func apply(_ filters: [Filter], to start: Piped) -> String {
        var current = start
        for filter in filters {
            let number: Double? =
                switch current {
                case .number(let value): value
                case .text(let text): Double(text)
                }
            switch filter {
            case .toUpper: current = .text(describe(current).uppercased())
            case .toLower: current = .text(describe(current).lowercased())
            case .humanize: current = .text(number.map(GoFormat.humanize) ?? describe(current))
            case .humanizePercentage: current = .text(number.map(GoFormat.humanizePercentage) ?? describe(current))
            case .humanizeDuration: current = .text(number.map(GoFormat.humanizeDuration) ?? describe(current))
            }
        }
        return describe(current)
    }

    private static func describe(_ piped: Piped) -> String {
        switch piped {
        case .text(let text): text
        case .number(let value): GoFormat.shortest(value)
        }
    }

    public static func == (left: AlertTemplate, right: AlertTemplate) -> Bool { left.source == right.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
