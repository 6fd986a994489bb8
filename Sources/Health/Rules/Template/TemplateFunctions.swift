/// Runs a PromQL query for a template's `query` function, at the evaluation's time.
public typealias TemplateQuery = @Sendable (String) throws -> [TemplateSample]

/// The functions a Prometheus alert template can call: Go's text/template builtins and Prometheus's own,
/// each checking its arguments as Go's reflection-based calls do.
struct TemplateFunctions {
    /// A parameter's Go type.
    enum Parameter {
        case any, string, sample, samples
    }

    struct Signature {
        var parameters: [Parameter]
        var variadic: Parameter?
    }

    static let signatures: [String: Signature] = {
        var table: [String: Signature] = [
            "and": .init(parameters: [.any], variadic: .any), "or": .init(parameters: [.any], variadic: .any),
            "not": .init(parameters: [.any]), "len": .init(parameters: [.any]),
            "index": .init(parameters: [.any], variadic: .any), "slice": .init(parameters: [.any], variadic: .any),
            "print": .init(parameters: [], variadic: .any), "println": .init(parameters: [], variadic: .any),
            "printf": .init(parameters: [.string], variadic: .any),
            "html": .init(parameters: [], variadic: .any), "js": .init(parameters: [], variadic: .any),
            "urlquery": .init(parameters: [], variadic: .any),
            "eq": .init(parameters: [.any], variadic: .any),
            "query": .init(parameters: [.string]), "first": .init(parameters: [.samples]),
            "label": .init(parameters: [.string, .sample]), "value": .init(parameters: [.sample]),
            "strvalue": .init(parameters: [.sample]), "args": .init(parameters: [], variadic: .any),
            "reReplaceAll": .init(parameters: [.string, .string, .string]),
            "match": .init(parameters: [.string, .string]),
            "sortByLabel": .init(parameters: [.string, .samples]),
            "pathPrefix": .init(parameters: []), "externalURL": .init(parameters: []),
        ]
        for name in ["ne", "lt", "le", "gt", "ge"] { table[name] = .init(parameters: [.any, .any]) }
        for name in ["safeHtml", "title", "toUpper", "toLower", "graphLink", "tableLink", "stripPort"] {
            table[name] = .init(parameters: [.string])
        }
        for name in [
            "humanize", "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime",
        ] {
            table[name] = .init(parameters: [.any])
        }
        return table
    }()

    static var names: Set<String> { Set(signatures.keys) }

    var query: TemplateQuery?
    var externalURL: String

    /// `name` called with `arguments`; errors carry Go's wording and the call's context.
    func call(_ name: String, _ arguments: [TemplateArgument], offset: Int, context: String) throws(TemplateFault)
        -> TemplateValue
    {
        guard let signature = Self.signatures[name] else {
            throw TemplateFault(offset: offset, context: context, message: "\"\(name)\" is not a defined function")
        }
        let fixed = signature.parameters.count
        if arguments.count < fixed || (signature.variadic == nil && arguments.count != fixed) {
            let want = signature.variadic == nil ? "\(fixed)" : "at least \(fixed)"
            throw TemplateFault(
                offset: offset, context: name, message: "wrong number of args for \(name): want \(want) got \(arguments.count)")
        }
        var values: [TemplateValue] = []
        for (index, argument) in arguments.enumerated() {
            let parameter = index < fixed ? signature.parameters[index] : signature.variadic ?? .any
            values.append(try Self.check(argument, parameter, function: name, offset: offset))
        }
        do {
            return try evaluate(name, values)
        } catch {
            throw TemplateFault(offset: offset, context: context, message: "error calling \(name): \(error.message)")
        }
    }

    /// The argument as the parameter's Go type, or Go's complaint.
    private static func check(_ argument: TemplateArgument, _ parameter: Parameter, function: String, offset: Int)
        throws(TemplateFault) -> TemplateValue
    {
        let value = argument.value
        let context = argument.operand?.description ?? function
        let at = argument.operand?.offset ?? offset
        let accepted: Bool
        switch (parameter, value) {
        case (.any, _): return value
        case (.string, .string): accepted = true
        case (.sample, .sample), (.samples, .samples): accepted = true
        case (.sample, .nil): return .sample(nil)
        case (.samples, .nil): return .samples([])
        case (_, .missing):
            throw TemplateFault(offset: at, context: context, message: "invalid value; expected \(goName(parameter))")
        default: accepted = false
        }
        guard accepted else {
            if let operand = argument.operand, operand.isConstant {
                let kind = parameter == .string ? "string" : goName(parameter)
                throw TemplateFault(offset: at, context: context, message: "expected \(kind); found \(operand.description)")
            }
            throw TemplateFault(
                offset: at, context: context, message: "wrong type for value; expected \(goName(parameter)); got \(value.goType)")
        }
        return value
    }

    private static func goName(_ parameter: Parameter) -> String {
        switch parameter {
        case .any: "interface {}"
        case .string: "string"
        case .sample: "*template.sample"
        case .samples: "template.queryResult"
        }
    }

    private func evaluate(_ name: String, _ values: [TemplateValue]) throws(TemplateCallError) -> TemplateValue {
        if let value = try GoBuiltins.evaluate(name, values) { return value }
        return try PrometheusTemplateFunctions.evaluate(name, values, query: query, externalURL: externalURL)
    }
}

/// A function's own error, wrapped by the caller in Go's `error calling NAME: …`.
struct TemplateCallError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension TemplateOperand {
    /// Whether the operand is a literal, which Go checks against a parameter's type at parse-like wording.
    var isConstant: Bool {
        switch self {
        case .bool, .number, .string, .nil: true
        default: false
        }
    }
}
