/// A parsed text/template: text and actions.
indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline, offset: Int)
    case `if`(TemplatePipeline, [TemplateNode], else: [TemplateNode]?, offset: Int)
    case with(TemplatePipeline, [TemplateNode], else: [TemplateNode]?, offset: Int)
    case range(TemplatePipeline, [TemplateNode], else: [TemplateNode]?, offset: Int)
    case `break`(offset: Int)
    case `continue`(offset: Int)
    /// `{{template "name" pipeline}}` (and the call a `block` makes).
    case template(String, TemplatePipeline?, offset: Int)
}

/// `$x := cmd | cmd …`: commands whose results feed the next command's last argument.
struct TemplatePipeline: Sendable, CustomStringConvertible {
    var declarations: [String] = []
    /// `=` instead of `:=`: assigns variables already declared.
    var isAssignment = false
    var commands: [TemplateCommand]
    var offset: Int

    var description: String {
        let head = declarations.isEmpty ? "" : declarations.joined(separator: ", ") + (isAssignment ? " = " : " := ")
        return head + commands.map(\.description).joined(separator: " | ")
    }
}

/// One stage of a pipeline: a function or method call, or a single value.
struct TemplateCommand: Sendable, CustomStringConvertible {
    var arguments: [TemplateOperand]
    var offset: Int

    var description: String {
        arguments.map { argument in
            if case .pipeline(let pipeline, _) = argument { return "(\(pipeline))" }
            return argument.description
        }.joined(separator: " ")
    }
}

/// An argument: a literal, `.`, a variable, a field chain, a function name or a parenthesized pipeline.
indirect enum TemplateOperand: Sendable, CustomStringConvertible {
    case dot(offset: Int)
    case `nil`(offset: Int)
    case bool(Bool, offset: Int)
    case number(TemplateNumber, text: String, offset: Int)
    case string(String, offset: Int)
    case function(String, offset: Int)
    /// `.A.B` from dot.
    case field([String], offset: Int)
    /// `$x.A.B`.
    case variable(String, fields: [String], offset: Int)
    case pipeline(TemplatePipeline, offset: Int)
    /// `(pipeline).A.B`.
    case chain(TemplateOperand, fields: [String], offset: Int)

    var offset: Int {
        switch self {
        case .dot(let offset), .nil(let offset), .bool(_, let offset), .number(_, _, let offset),
            .string(_, let offset), .function(_, let offset), .field(_, let offset), .variable(_, _, let offset),
            .pipeline(_, let offset), .chain(_, _, let offset):
            offset
        }
    }

    var description: String {
        switch self {
        case .dot: "."
        case .nil: "nil"
        case .bool(let value, _): value ? "true" : "false"
        case .number(_, let text, _): text
        case .string(let value, _): GoStringLiteral.quote(value)
        case .function(let name, _): name
        case .field(let names, _): names.map { "." + $0 }.joined()
        case .variable(let name, let fields, _): name + fields.map { "." + $0 }.joined()
        case .pipeline(let pipeline, _): "(\(pipeline))"
        case .chain(let base, let fields, _): base.description + fields.map { "." + $0 }.joined()
        }
    }
}

/// A number constant as Go's template parser reads one: an integer when the text is one, else a float.
enum TemplateNumber: Sendable, Equatable {
    case int(Int)
    case float(Double)

    init?(_ text: String) {
        var body = Substring(text.replacing("_", with: ""))
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let lower = body.lowercased()
        let radixes: [(prefix: String, radix: Int)] = [("0x", 16), ("0o", 8), ("0b", 2)]
        for (prefix, radix) in radixes where lower.hasPrefix(prefix) {
            guard let value = Int(lower.dropFirst(2), radix: radix) else { return nil }
            self = .int(negative ? -value : value)
            return
        }
        if lower.contains(where: { $0 == "." || $0 == "e" }) {
            guard let value = Double(body), value.isFinite, lower.allSatisfy({ $0.isNumber || ".e+-".contains($0) })
            else { return nil }
            self = .float(negative ? -value : value)
        } else {
            let octal = lower.count > 1 && lower.hasPrefix("0")
            guard let value = Int(octal ? body.dropFirst() : body, radix: octal ? 8 : 10) else { return nil }
            self = .int(negative ? -value : value)
        }
    }
}

extension TemplateNode {
    /// The string constants passed to `query` anywhere in `nodes`, so the engine can keep the series
    /// those queries read.
    static func queryLiterals(_ nodes: [TemplateNode]) -> [String] {
        nodes.flatMap { node -> [String] in
            switch node {
            case .text, .break, .continue: return []
            case .template(_, let argument, _): return argument?.queryLiterals ?? []
            case .action(let pipeline, _): return pipeline.queryLiterals
            case .if(let pipeline, let body, let elseBody, _), .with(let pipeline, let body, let elseBody, _),
                .range(let pipeline, let body, let elseBody, _):
                return pipeline.queryLiterals + queryLiterals(body) + queryLiterals(elseBody ?? [])
            }
        }
    }
}

extension TemplatePipeline {
    var queryLiterals: [String] {
        commands.flatMap { command -> [String] in
            var found: [String] = []
            if case .function("query", _) = command.arguments.first, command.arguments.count > 1,
                case .string(let text, _) = command.arguments[1]
            {
                found.append(text)
            }
            for argument in command.arguments {
                if case .pipeline(let inner, _) = argument { found += inner.queryLiterals }
                if case .chain(.pipeline(let inner, _), _, _) = argument { found += inner.queryLiterals }
            }
            return found
        }
    }
}
