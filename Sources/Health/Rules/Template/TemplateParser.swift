/// Parses text/template source into nodes with Go's rules: functions must be known and variables
/// declared at parse time, and the parser's error messages are Go's.
struct TemplateParser {
    private let tokens: [TemplateToken]
    private let functions: Set<String>
    private var index = 0
    private var variables: [String] = ["$"]
    private var rangeDepth = 0
    /// How deep in `if`/`with`/`range`/`define` the parser is: `define` is for the top level only.
    private var controlDepth = 0
    private var definitions: [String: [TemplateNode]] = [:]
    private let lineOf: (Int) -> Int
    /// Parentheses and `if`/`with`/`range`/`define` open around what is being parsed.
    private var nesting = 0
    /// The deepest nesting a template may have (128): far beyond any alert template, and well within
    /// the stack of the thread that loads rule files, which parses recursively.
    static let maximumNesting = 128

    /// Enters one more level of nesting at `offset`, or refuses a template nested too deeply.
    private mutating func enter(at offset: Int) throws(TemplateSyntaxError) {
        nesting += 1
        guard nesting <= Self.maximumNesting else {
            throw fail(offset, "nested deeper than \(Self.maximumNesting) levels")
        }
    }

    /// The nodes of `source` and the templates it defines (`define`, `block`); `functions` are the names
    /// a template may call.
    static func parse(_ source: String, functions: Set<String>) throws(TemplateSyntaxError)
        -> (nodes: [TemplateNode], definitions: [String: [TemplateNode]])
    {
        let bytes = Array(source.utf8)
        var parser = TemplateParser(
            tokens: try TemplateLexer.tokens(source), functions: functions,
            lineOf: { offset in TemplateLexer.line(at: offset, in: bytes) })
        let (nodes, stop) = try parser.list()
        if let stop { throw parser.fail(stop.offset, "unexpected {{\(stop.keyword)}}") }
        return (nodes, parser.definitions)
    }

    private init(tokens: [TemplateToken], functions: Set<String>, lineOf: @escaping (Int) -> Int) {
        self.tokens = tokens
        self.functions = functions
        self.lineOf = lineOf
    }

    private func fail(_ offset: Int, _ message: String) -> TemplateSyntaxError {
        TemplateSyntaxError(line: lineOf(offset), message: message)
    }

    private var peek: TemplateToken { index < tokens.count ? tokens[index] : TemplateToken(kind: .end, offset: endOffset) }
    private var endOffset: Int { tokens.last.map { $0.offset + 1 } ?? 0 }

    private mutating func next() -> TemplateToken {
        defer { index += 1 }
        return peek
    }

    private struct Stop {
        var keyword: String
        var offset: Int
    }

    /// Nodes up to the end of input or an `{{else}}`/`{{end}}`, which is returned unconsumed past its keyword.
    private mutating func list() throws(TemplateSyntaxError) -> ([TemplateNode], Stop?) {
        var nodes: [TemplateNode] = []
        while true {
            let token = next()
            switch token.kind {
            case .end: return (nodes, nil)
            case .text(let text): nodes.append(.text(text))
            case .leftDelimiter:
                if case .keyword(let keyword) = peek.kind {
                    let at = next().offset
                    switch keyword {
                    case "end", "else": return (nodes, Stop(keyword: keyword, offset: at))
                    case "if", "with", "range": nodes.append(try control(keyword, at: at))
                    case "break", "continue":
                        guard rangeDepth > 0 else { throw fail(at, "{{\(keyword)}} outside {{range}}") }
                        try closeAction(keyword)
                        nodes.append(keyword == "break" ? .break(offset: at) : .continue(offset: at))
                    case "define" where controlDepth == 0:
                        try define(at: at)
                    case "template", "block":
                        nodes.append(try invocation(keyword, at: at))
                    default:
                        throw fail(at, "unexpected <\(keyword)> in command")
                    }
                } else {
                    nodes.append(.action(try pipeline("command", allowsTwoVariables: false), offset: token.offset))
                }
            default: throw fail(token.offset, "unexpected token in template text")
            }
        }
    }

    /// A template's name after `define`, `template` or `block`: a string constant.
    private mutating func templateName(_ context: String) throws(TemplateSyntaxError) -> String {
        let token = next()
        guard case .string(let name) = token.kind else { throw fail(token.offset, "unexpected \(describe(token)) in \(context)") }
        return name
    }

    /// The body of a named template, in a scope of its own (only `$`), through its `{{end}}`.
    private mutating func definitionBody(_ name: String) throws(TemplateSyntaxError) {
        let (outerVariables, outerRanges) = (variables, rangeDepth)
        (variables, rangeDepth) = (["$"], 0)
        controlDepth += 1
        let (body, stop) = try list()
        controlDepth -= 1
        (variables, rangeDepth) = (outerVariables, outerRanges)
        guard let stop else { throw fail(endOffset, "unexpected EOF") }
        guard stop.keyword == "end" else { throw fail(stop.offset, "unexpected {{else}}") }
        try closeAction("end")
        guard definitions.updateValue(body, forKey: name) == nil else {
            throw fail(stop.offset, "template: multiple definition of template \(GoStringLiteral.quote(name))")
        }
    }

    /// `{{define "name"}} … {{end}}`.
    private mutating func define(at offset: Int) throws(TemplateSyntaxError) {
        let name = try templateName("define clause")
        try closeAction("define clause")
        try definitionBody(name)
    }

    /// `{{template "name" pipeline}}`, or `{{block "name" pipeline}} … {{end}}`, which defines it too.
    private mutating func invocation(_ keyword: String, at offset: Int) throws(TemplateSyntaxError) -> TemplateNode {
        let context = keyword + " clause"
        let nameOffset = peek.offset
        let name = try templateName(context)
        var argument: TemplatePipeline?
        if case .rightDelimiter = peek.kind {
            index += 1
        } else {
            argument = try pipeline(context, allowsTwoVariables: false)
        }
        if keyword == "block" { try definitionBody(name) }
        // Go places the call at its name.
        return .template(name, argument, offset: nameOffset)
    }

    private mutating func closeAction(_ context: String) throws(TemplateSyntaxError) {
        let token = next()
        guard case .rightDelimiter = token.kind else { throw fail(token.offset, "unexpected \(describe(token)) in \(context)") }
    }

    /// `if`/`with`/`range` after its keyword, through its `{{end}}`.
    private mutating func control(_ keyword: String, at offset: Int) throws(TemplateSyntaxError) -> TemplateNode {
        let scope = variables.count
        try enter(at: offset)
        controlDepth += 1
        defer {
            variables.removeLast(variables.count - scope)
            controlDepth -= 1
            nesting -= 1
        }
        let condition = try pipeline(keyword, allowsTwoVariables: keyword == "range")
        if keyword == "range" { rangeDepth += 1 }
        let (body, stop) = try list()
        if keyword == "range" { rangeDepth -= 1 }
        guard let stop else { throw fail(endOffset, "unexpected EOF") }
        var elseBody: [TemplateNode]?
        if stop.keyword == "else" {
            if case .keyword(let chained) = peek.kind, chained == "if" || chained == "with", keyword == chained {
                let at = next().offset
                elseBody = [try control(chained, at: at)]
            } else {
                try closeAction("else")
                let (nodes, end) = try list()
                guard let end else { throw fail(endOffset, "unexpected EOF") }
                guard end.keyword == "end" else { throw fail(end.offset, "expected end; found {{else}}") }
                try closeAction("end")
                elseBody = nodes
            }
        } else {
            try closeAction("end")
        }
        switch keyword {
        case "if": return .if(condition, body, else: elseBody, offset: offset)
        case "with": return .with(condition, body, else: elseBody, offset: offset)
        default: return .range(condition, body, else: elseBody, offset: offset)
        }
    }

    /// Go's `item.String()`: keywords in angle brackets, the rest quoted (cut after ten characters).
    private func describe(_ token: TemplateToken) -> String {
        let text: String
        switch token.kind {
        case .keyword(let name): return "<\(name)>"
        case .end: return "EOF"
        case .rightDelimiter: text = "}}"
        case .leftDelimiter: text = "{{"
        case .rightParen: text = ")"
        case .leftParen: text = "("
        case .pipe: text = "|"
        case .comma: text = ","
        case .assign: text = "="
        case .declare: text = ":="
        case .dot: text = "."
        case .nil: text = "nil"
        case .bool(let value): text = value ? "true" : "false"
        case .identifier(let name), .variable(let name): text = name
        case .field(let name): text = "." + name
        case .string(let value): text = GoStringLiteral.quote(value)
        case .number(let number): text = number
        case .text(let value): text = value
        }
        guard text.count > 10 else { return GoStringLiteral.quote(text) }
        return GoStringLiteral.quote(String(text.prefix(10))) + "..."
    }

    /// A pipeline up to `}}` (or `)` when `context` is a parenthesized pipeline), with its declarations.
    private mutating func pipeline(_ context: String, allowsTwoVariables: Bool) throws(TemplateSyntaxError)
        -> TemplatePipeline
    {
        var pipe = TemplatePipeline(commands: [], offset: peek.offset)
        let closing: TemplateToken.Kind = context == "parenthesized pipeline" ? .rightParen : .rightDelimiter
        while case .variable(let name) = peek.kind, index + 1 < tokens.count {
            let after = tokens[index + 1]
            if after.kind == .declare || after.kind == .assign {
                if after.kind == .assign && !variables.contains(name) { throw fail(peek.offset, "undefined variable \"\(name)\"") }
                pipe.isAssignment = after.kind == .assign
                pipe.declarations.append(name)
                index += 2
                break
            }
            if after.kind == .comma && allowsTwoVariables {
                guard pipe.declarations.isEmpty else { throw fail(after.offset, "too many declarations in range") }
                pipe.declarations.append(name)
                index += 2
                continue
            }
            if !pipe.declarations.isEmpty { throw fail(after.offset, "expected := or = after variable list") }
            break
        }
        while true {
            let token = peek
            if token.kind == closing {
                index += 1
                break
            }
            switch token.kind {
            case .pipe: throw fail(token.offset, "unexpected \(describe(token)) in \(context)")
            case .end, .rightDelimiter, .rightParen:
                throw fail(token.offset, context == "parenthesized pipeline" ? "unclosed left paren" : "unexpected \(describe(token)) in \(context)")
            default: pipe.commands.append(try command(closing: closing))
            }
        }
        variables += pipe.declarations.filter { _ in !pipe.isAssignment }
        guard !pipe.commands.isEmpty else { throw fail(pipe.offset, "missing value for \(context)") }
        for (stage, command) in pipe.commands.enumerated().dropFirst() {
            switch command.arguments.first {
            case .bool, .dot, .nil, .number, .pipeline, .string:
                throw fail(command.offset, "non executable command in pipeline stage \(stage + 1)")
            default: break
            }
        }
        return pipe
    }

    private mutating func command(closing: TemplateToken.Kind) throws(TemplateSyntaxError) -> TemplateCommand {
        var command = TemplateCommand(arguments: [], offset: peek.offset)
        while true {
            let token = peek
            // A closing token of the wrong kind ends the command too; the pipeline says what is wrong.
            if token.kind == closing || token.kind == .rightParen || token.kind == .rightDelimiter { break }
            if token.kind == .pipe {
                index += 1
                guard !command.arguments.isEmpty else { throw fail(token.offset, "missing value for command") }
                break
            }
            if !command.arguments.isEmpty && !token.spaceBefore {
                throw fail(token.offset, "unexpected \(describe(token)) in operand")
            }
            command.arguments.append(try operand())
        }
        guard !command.arguments.isEmpty else { throw fail(command.offset, "empty command") }
        return command
    }

    private mutating func operand() throws(TemplateSyntaxError) -> TemplateOperand {
        let term = try self.term()
        var fields: [String] = []
        while case .field(let name) = peek.kind, !peek.spaceBefore {
            fields.append(name)
            index += 1
        }
        guard !fields.isEmpty else { return term }
        switch term {
        case .field(let base, let offset): return .field(base + fields, offset: offset)
        case .variable(let name, let base, let offset): return .variable(name, fields: base + fields, offset: offset)
        case .pipeline: return .chain(term, fields: fields, offset: term.offset)
        case .dot: throw fail(term.offset, "unexpected . after term \".\"")
        default: throw fail(term.offset, "unexpected . after term \(GoStringLiteral.quote(term.description))")
        }
    }

    private mutating func term() throws(TemplateSyntaxError) -> TemplateOperand {
        let token = next()
        switch token.kind {
        case .identifier(let name):
            guard functions.contains(name) else { throw fail(token.offset, "function \"\(name)\" not defined") }
            return .function(name, offset: token.offset)
        case .dot: return .dot(offset: token.offset)
        case .nil: return .nil(offset: token.offset)
        case .bool(let value): return .bool(value, offset: token.offset)
        case .string(let value): return .string(value, offset: token.offset)
        case .number(let text):
            guard let number = TemplateNumber(text) else { throw fail(token.offset, "bad number syntax: \"\(text)\"") }
            return .number(number, text: text, offset: token.offset)
        case .field(let name): return .field([name], offset: token.offset)
        case .variable(let name):
            guard variables.contains(name) else { throw fail(token.offset, "undefined variable \"\(name)\"") }
            return .variable(name, fields: [], offset: token.offset)
        case .leftParen:
            try enter(at: token.offset)
            defer { nesting -= 1 }
            return .pipeline(try pipeline("parenthesized pipeline", allowsTwoVariables: false), offset: token.offset)
        default:
            throw fail(token.offset, "unexpected \(describe(token)) in operand")
        }
    }
}
