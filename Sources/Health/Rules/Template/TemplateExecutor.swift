/// A template failing while it runs, with Go's message (`template: NAME:LINE:COL: executing …`).
struct TemplateExecutionError: Error, Sendable {
    var message: String
}

/// Where an execution error happened and what Go would call the node there.
struct TemplateFault: Error {
    var offset: Int
    var context: String
    var message: String
}

/// Runs parsed template nodes over a dot value with Go's semantics (missingkey=zero, as Prometheus sets).
struct TemplateExecutor {
    private let functions: TemplateFunctions
    private let definitions: [String: [TemplateNode]]
    private var variables: [(name: String, value: TemplateValue)]
    private var depth = 0
    private var output = ""
    private var steps = 0
    private let maximumSteps: Int
    private let maximumDepth: Int

    private enum Jump: Error {
        case breakLoop, continueLoop
    }

    /// Bounds on one expansion: actions and text pieces run, and bodies (of `if`, `with`, `range` and
    /// called templates) nested.
    struct Limits {
        var maximumSteps: Int
        var maximumDepth: Int
    }

    private init(functions: TemplateFunctions, definitions: [String: [TemplateNode]], dot: TemplateValue, limits: Limits) {
        self.functions = functions
        self.definitions = definitions
        self.variables = [("$", dot)]
        self.maximumSteps = limits.maximumSteps
        self.maximumDepth = limits.maximumDepth
    }

    /// The text `nodes` write; `definitions` are the templates `template` and `block` call.
    static func run(
        _ nodes: [TemplateNode], definitions: [String: [TemplateNode]], dot: TemplateValue,
        functions: TemplateFunctions, limits: Limits
    ) throws(TemplateFault) -> String {
        var executor = TemplateExecutor(functions: functions, definitions: definitions, dot: dot, limits: limits)
        do {
            try executor.walk(nodes, dot: dot)
        } catch let fault as TemplateFault {
            throw fault
        } catch {
            throw TemplateFault(offset: 0, context: "", message: "\(error)")
        }
        return executor.output
    }

    /// `nodes` one level deeper: a body of `if`/`with`/`range` or a called template.
    private mutating func walkNested(_ nodes: [TemplateNode], dot: TemplateValue, offset: Int, context: String) throws {
        guard depth < maximumDepth else {
            throw TemplateFault(offset: offset, context: context, message: "exceeded maximum template depth (\(maximumDepth))")
        }
        depth += 1
        defer { depth -= 1 }
        try walk(nodes, dot: dot)
    }

    private mutating func walk(_ nodes: [TemplateNode], dot: TemplateValue) throws {
        for node in nodes {
            steps += 1
            guard steps <= maximumSteps else {
                throw TemplateFault(offset: 0, context: "", message: "more than \(maximumSteps) steps (a runaway range?)")
            }
            switch node {
            case .text(let text): output += text
            case .action(let pipeline, _):
                let value = try evaluate(pipeline, dot: dot)
                if pipeline.declarations.isEmpty { output += value.printed }
            case .if(let pipeline, let body, let elseBody, let offset), .with(let pipeline, let body, let elseBody, let offset):
                let scope = variables.count
                defer { variables.removeLast(variables.count - scope) }
                let value = try evaluate(pipeline, dot: dot)
                guard let truth = value.truth else {
                    throw TemplateFault(offset: offset, context: pipeline.description, message: "if/with can't use \(value.printed)")
                }
                let isWith = if case .with = node { true } else { false }
                if truth {
                    try walkNested(body, dot: isWith ? value : dot, offset: offset, context: pipeline.description)
                } else if let elseBody {
                    try walkNested(elseBody, dot: dot, offset: offset, context: pipeline.description)
                }
            case .range(let pipeline, let body, let elseBody, let offset):
                try range(pipeline, body, elseBody, offset: offset, dot: dot)
            case .break: throw Jump.breakLoop
            case .continue: throw Jump.continueLoop
            case .template(let name, let argument, let offset):
                try invoke(name, argument, offset: offset, dot: dot)
            }
        }
    }

    /// `{{template "name" pipeline}}`: the named template over the pipeline's value, seeing no variable
    /// but `$`, as in Go.
    private mutating func invoke(_ name: String, _ argument: TemplatePipeline?, offset: Int, dot: TemplateValue) throws {
        let context = "{{template \(GoStringLiteral.quote(name))\(argument.map { " \($0)" } ?? "")}}"
        guard let body = definitions[name] else {
            throw TemplateFault(offset: offset, context: context, message: "template \(GoStringLiteral.quote(name)) not defined")
        }
        let value = try argument.map { pipeline throws(TemplateFault) in try evaluate(pipeline, dot: dot) } ?? .missing
        let outer = variables
        variables = [("$", value)]
        defer { variables = outer }
        try walkNested(body, dot: value, offset: offset, context: context)
    }

    private mutating func range(
        _ pipeline: TemplatePipeline, _ body: [TemplateNode], _ elseBody: [TemplateNode]?, offset: Int,
        dot: TemplateValue
    ) throws {
        let scope = variables.count
        defer { variables.removeLast(variables.count - scope) }
        var declarations = pipeline.declarations
        var bare = pipeline
        bare.declarations = []
        let value = try evaluate(bare, dot: dot)
        let items: [(key: TemplateValue, value: TemplateValue)]
        switch value {
        case .labels(let map): items = map.sorted { $0.key < $1.key }.map { (.string($0.key), .string($0.value)) }
        case .map(let map): items = map.sorted { $0.key < $1.key }.map { (.string($0.key), $0.value) }
        case .samples(let samples): items = samples.enumerated().map { (.int($0.offset), .sample($0.element)) }
        case .missing, .nil: items = []
        default:
            throw TemplateFault(offset: offset, context: pipeline.description, message: "range can't iterate over \(value.printed)")
        }
        if items.isEmpty {
            if let elseBody { try walkNested(elseBody, dot: dot, offset: offset, context: pipeline.description) }
            return
        }
        for item in items {
            let inner = variables.count
            if declarations.count == 2 {
                variables.append((declarations[0], item.key))
                variables.append((declarations[1], item.value))
            } else if let only = declarations.first {
                variables.append((only, item.value))
            }
            defer { variables.removeLast(variables.count - inner) }
            do {
                try walkNested(body, dot: item.value, offset: offset, context: pipeline.description)
            } catch Jump.breakLoop {
                break
            } catch Jump.continueLoop {
                continue
            }
        }
        declarations.removeAll()
    }

    /// A pipeline's value, after declaring or assigning its variables.
    mutating func evaluate(_ pipeline: TemplatePipeline, dot: TemplateValue) throws(TemplateFault) -> TemplateValue {
        var value: TemplateValue?
        for command in pipeline.commands {
            value = try evaluate(command, dot: dot, final: value)
        }
        let result = value ?? .missing
        for name in pipeline.declarations {
            if pipeline.isAssignment, let index = variables.lastIndex(where: { $0.name == name }) {
                variables[index].value = result
            } else {
                variables.append((name, result))
            }
        }
        return result
    }

    private mutating func evaluate(_ command: TemplateCommand, dot: TemplateValue, final: TemplateValue?)
        throws(TemplateFault) -> TemplateValue
    {
        let head = command.arguments[0]
        let rest = Array(command.arguments.dropFirst())
        if case .function(let name, let offset) = head, name == "and" || name == "or" {
            return try shortCircuit(name == "and", rest, final: final, dot: dot, offset: offset, context: command.description)
        }
        if case .function(let name, let offset) = head {
            var arguments: [TemplateArgument] = []
            for operand in rest { arguments.append(TemplateArgument(operand: operand, value: try operandValue(operand, dot: dot))) }
            if let final { arguments.append(TemplateArgument(operand: nil, value: final)) }
            return try functions.call(name, arguments, offset: offset, context: command.description)
        }
        if !rest.isEmpty || final != nil {
            if case .nil = head { throw TemplateFault(offset: head.offset, context: head.description, message: "nil is not a command") }
            throw TemplateFault(
                offset: head.offset, context: head.description, message: "can't give argument to non-function \(head.description)")
        }
        if case .nil = head { throw TemplateFault(offset: head.offset, context: head.description, message: "nil is not a command") }
        return try operandValue(head, dot: dot)
    }

    /// `and`/`or`: the first argument that decides, evaluating no further (Go 1.18 and later).
    private mutating func shortCircuit(
        _ isAnd: Bool, _ operands: [TemplateOperand], final: TemplateValue?, dot: TemplateValue, offset: Int,
        context: String
    ) throws(TemplateFault) -> TemplateValue {
        let count = operands.count + (final == nil ? 0 : 1)
        guard count >= 1 else {
            throw TemplateFault(
                offset: offset, context: context,
                message: "wrong number of args for \(isAnd ? "and" : "or"): want at least 1 got 0")
        }
        var value = TemplateValue.missing
        for index in 0..<count {
            value = index < operands.count ? try operandValue(operands[index], dot: dot) : final ?? .missing
            if (value.truth ?? false) != isAnd { return value }
        }
        return value
    }

    private mutating func operandValue(_ operand: TemplateOperand, dot: TemplateValue) throws(TemplateFault) -> TemplateValue {
        switch operand {
        case .dot: return dot
        case .nil: return .nil
        case .bool(let value, _): return .bool(value)
        case .number(let number, _, _):
            switch number {
            case .int(let value): return .int(value)
            case .float(let value): return .float(value)
            }
        case .string(let value, _): return .string(value)
        case .function(let name, let offset):
            return try functions.call(name, [], offset: offset, context: name)
        case .field(let names, let offset): return try fields(names, of: dot, offset: offset, context: operand.description)
        case .variable(let name, let names, let offset):
            guard let value = variables.last(where: { $0.name == name })?.value else {
                throw TemplateFault(offset: offset, context: name, message: "undefined variable: \(name)")
            }
            return try fields(names, of: value, offset: offset, context: operand.description)
        case .pipeline(let pipeline, _):
            let scope = variables.count
            defer { variables.removeLast(variables.count - scope) }
            return try evaluate(pipeline, dot: dot)
        case .chain(let base, let names, let offset):
            return try fields(names, of: try operandValue(base, dot: dot), offset: offset, context: operand.description)
        }
    }

    private func fields(_ names: [String], of start: TemplateValue, offset: Int, context: String) throws(TemplateFault)
        -> TemplateValue
    {
        var value = start
        for name in names {
            func fault(_ message: String) -> TemplateFault { TemplateFault(offset: offset, context: context, message: message) }
            switch value {
            case .labels(let map): value = .string(map[name] ?? "")
            case .map(let map): value = map[name] ?? .missing
            case .data(let data):
                switch name {
                case "Labels": value = .labels(data.labels)
                case "ExternalLabels": value = .labels(data.externalLabels)
                case "ExternalURL": value = .string(data.externalURL)
                case "Value": value = .float(data.value)
                default: throw fault("can't evaluate field \(name) in type \(value.goType)")
                }
            case .sample(let sample):
                guard let sample else { throw fault("nil pointer evaluating *template.sample.\(name)") }
                switch name {
                case "Labels": value = .labels(sample.labels)
                case "Value": value = .float(sample.value)
                default: throw fault("can't evaluate field \(name) in type *template.sample")
                }
            case .missing, .nil: throw fault("nil pointer evaluating interface {}.\(name)")
            default: throw fault("can't evaluate field \(name) in type \(value.goType)")
            }
        }
        return value
    }
}

/// An argument of a function call: its value, and the operand it came from (none for a piped value).
struct TemplateArgument {
    var operand: TemplateOperand?
    var value: TemplateValue
}
