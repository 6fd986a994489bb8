internal import CYAML

/// Reads YAML documents through libyaml, the reference C parser: every YAML 1.1 construct a rule file
/// may use (block scalars with any indicator, multi-line plain and quoted scalars, flow collections,
/// anchors, aliases and `<<` merges, comments anywhere), with each node's position from libyaml's marks.
public enum YAMLParser {
    /// Bounds that keep a hostile document from using unbounded time, memory or stack.
    public struct Limits: Sendable {
        /// The deepest nesting of collections accepted.
        public var maximumDepth: Int
        /// The most nodes the document may hold once its aliases are expanded ("billion laughs").
        public var maximumNodes: Int
        /// Whether a key given twice in one mapping is an error here, or kept (both entries, in order)
        /// for the reader to report where it knows more.
        public var refusesDuplicateKeys: Bool

        /// Far beyond any real configuration or rule file.
        public init(maximumDepth: Int = 256, maximumNodes: Int = 1_000_000, refusesDuplicateKeys: Bool = true) {
            self.maximumDepth = maximumDepth
            self.maximumNodes = maximumNodes
            self.refusesDuplicateKeys = refusesDuplicateKeys
        }
    }

    /// The tag of YAML's null.
    public static let nullTag = "tag:yaml.org,2002:null"
    static let mergeTag = "tag:yaml.org,2002:merge"

    /// The first document of `text`, or `.empty` when there is none. Later documents are ignored, as
    /// Prometheus ignores them.
    public static func parse(_ text: String, limits: Limits = Limits()) throws(YAMLError) -> YAMLNode {
        var bytes = Array(text.utf8)
        bytes.append(0)
        let result: Result<YAMLNode, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) == 1 else {
                return .failure(YAMLError(position: SourcePosition(line: 1, column: 1), message: "out of memory"))
            }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count - 1)
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            var builder = YAMLTreeBuilder(parser: parser, source: text, limits: limits)
            return Result { () throws(YAMLError) in try builder.document() }
        }
        return try result.get()
    }
}

/// Turns libyaml's event stream into `YAMLNode`s.
private struct YAMLTreeBuilder {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let source: String
    private let limits: YAMLParser.Limits
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var nodeCount = 0
    private var sourceLines: [[Unicode.Scalar]]?

    init(parser: UnsafeMutablePointer<yaml_parser_t>, source: String, limits: YAMLParser.Limits) {
        self.parser = parser
        self.source = source
        self.limits = limits
    }

    /// An event's parts that outlive `yaml_event_delete`.
    private struct Event {
        var type: yaml_event_type_t
        var start: SourcePosition
        var end: SourcePosition
        var anchor: String?
        var tag: String?
        var value = ""
        var style = YAMLScalar.Style.plain
    }

    mutating func document() throws(YAMLError) -> YAMLNode {
        var event = try next()
        while event.type != YAML_DOCUMENT_START_EVENT {
            if event.type == YAML_STREAM_END_EVENT { return .empty(event.start) }
            event = try next()
        }
        let root = try node(after: try next(), depth: 0).node
        return root
    }

    private func position(_ mark: yaml_mark_t) -> SourcePosition {
        SourcePosition(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        let count = length ?? strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    private mutating func next() throws(YAMLError) -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) == 1 else { throw parserError() }
        defer { yaml_event_delete(&raw) }
        var event = Event(type: raw.type, start: position(raw.start_mark), end: position(raw.end_mark))
        switch raw.type {
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            event.anchor = Self.string(scalar.anchor)
            event.tag = Self.string(scalar.tag)
            event.value = Self.string(scalar.value, length: scalar.length) ?? ""
            event.style =
                switch scalar.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: .literal
                case YAML_FOLDED_SCALAR_STYLE: .folded
                default: .plain
                }
        case YAML_ALIAS_EVENT:
            event.anchor = Self.string(raw.data.alias.anchor)
        case YAML_SEQUENCE_START_EVENT:
            event.anchor = Self.string(raw.data.sequence_start.anchor)
            event.tag = Self.string(raw.data.sequence_start.tag)
        case YAML_MAPPING_START_EVENT:
            event.anchor = Self.string(raw.data.mapping_start.anchor)
            event.tag = Self.string(raw.data.mapping_start.tag)
        default: break
        }
        return event
    }

    private func parserError() -> YAMLError {
        let problem = parser.pointee.problem.map { String(cString: $0) } ?? "invalid YAML"
        let at = position(parser.pointee.problem_mark)
        guard let context = parser.pointee.context.map({ String(cString: $0) }) else {
            return YAMLError(position: at, message: problem)
        }
        let from = position(parser.pointee.context_mark)
        return YAMLError(position: at, message: "\(context) (from \(from)): \(problem)")
    }

    /// The node `event` starts, with how many nodes it holds.
    private mutating func node(after event: Event, depth: Int) throws(YAMLError) -> (node: YAMLNode, size: Int) {
        guard depth <= limits.maximumDepth else {
            throw YAMLError(position: event.start, message: "nested more than \(limits.maximumDepth) levels deep")
        }
        let built: (node: YAMLNode, size: Int)
        switch event.type {
        case YAML_ALIAS_EVENT:
            guard let name = event.anchor, let anchored = anchors[name] else {
                throw YAMLError(position: event.start, message: "unknown anchor '\(event.anchor ?? "")' referenced")
            }
            try count(anchored.size, at: event.start)
            return anchored
        case YAML_SCALAR_EVENT:
            try count(1, at: event.start)
            var scalar = YAMLScalar(text: event.value, position: event.start, style: event.style, tag: event.tag)
            if event.end.line > event.start.line { scalar.lineStarts = lineStarts(of: scalar, endLine: event.end.line) }
            built = (.scalar(scalar), 1)
        case YAML_SEQUENCE_START_EVENT:
            try count(1, at: event.start)
            var items: [YAMLNode] = []
            var size = 1
            var item = try next()
            while item.type != YAML_SEQUENCE_END_EVENT {
                let child = try node(after: item, depth: depth + 1)
                items.append(child.node)
                size += child.size
                item = try next()
            }
            built = (.sequence(items, event.start), size)
        case YAML_MAPPING_START_EVENT:
            try count(1, at: event.start)
            built = try mapping(at: event.start, depth: depth)
        default:
            throw YAMLError(position: event.start, message: "unexpected YAML event")
        }
        if let name = event.anchor { anchors[name] = built }
        return built
    }

    private mutating func count(_ nodes: Int, at position: SourcePosition) throws(YAMLError) {
        nodeCount += nodes
        guard nodeCount <= limits.maximumNodes else {
            throw YAMLError(position: position, message: "the document expands to more than \(limits.maximumNodes) nodes")
        }
    }

    /// A mapping's entries: keys given twice are an error; `<<` merges add the keys not given explicitly.
    private mutating func mapping(at start: SourcePosition, depth: Int) throws(YAMLError) -> (node: YAMLNode, size: Int) {
        var entries: [(key: YAMLScalar, value: YAMLNode)] = []
        var seen: [String: SourcePosition] = [:]
        var merged: [(key: YAMLScalar, value: YAMLNode)] = []
        var size = 1
        var keyEvent = try next()
        while keyEvent.type != YAML_MAPPING_END_EVENT {
            let key = try node(after: keyEvent, depth: depth + 1)
            let value = try node(after: try next(), depth: depth + 1)
            size += key.size + value.size
            guard case .scalar(let name) = key.node else {
                throw YAMLError(position: key.node.position, message: "a mapping key must be a scalar")
            }
            if name.style == .plain && name.text == "<<" && (name.tag == nil || name.tag == YAMLParser.mergeTag) {
                merged += try mergeEntries(value.node)
            } else if let first = seen[name.text], limits.refusesDuplicateKeys {
                throw YAMLError(
                    position: name.position, message: "mapping key \"\(name.text)\" already defined at line \(first.line)")
            } else {
                seen[name.text] = seen[name.text] ?? name.position
                entries.append((name, value.node))
            }
            keyEvent = try next()
        }
        for entry in merged where seen[entry.key.text] == nil {
            seen[entry.key.text] = entry.key.position
            entries.append(entry)
        }
        return (.mapping(entries, start), size)
    }

    private func mergeEntries(_ value: YAMLNode) throws(YAMLError) -> [(key: YAMLScalar, value: YAMLNode)] {
        switch value {
        case .mapping(let entries, _): return entries
        case .sequence(let items, _):
            var result: [(key: YAMLScalar, value: YAMLNode)] = []
            for item in items {
                guard case .mapping(let entries, _) = item else {
                    throw YAMLError(position: item.position, message: "a '<<' merge takes mappings only")
                }
                result += entries.filter { entry in !result.contains { $0.key.text == entry.key.text } }
            }
            return result
        default:
            throw YAMLError(position: value.position, message: "a '<<' merge takes a mapping or a list of mappings")
        }
    }

    /// Where each later source line of a multi-line scalar continues in its value: each line's text is
    /// found, in order, in the value (exact for literal blocks, the common case for expressions).
    private mutating func lineStarts(of scalar: YAMLScalar, endLine: Int) -> [(offset: Int, position: SourcePosition)] {
        if sourceLines == nil {
            sourceLines = source.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
        }
        let lines = sourceLines ?? []
        let text = Array(scalar.text.unicodeScalars)
        var result: [(offset: Int, position: SourcePosition)] = []
        var cursor = 0
        // libyaml also breaks lines at a lone CR, NEL, LS and PS; where its count runs past the "\n" lines
        // the positions stay those of the scalar's start.
        let lastLine = min(endLine, lines.count)
        guard scalar.position.line < lastLine else { return [] }
        for lineIndex in scalar.position.line..<lastLine {
            let line = lines[lineIndex]
            let indent = line.prefix { $0 == " " }.count
            var content = line[indent...]
            while let last = content.last, last == " " || last == "\r" || last == "\t" { content = content.dropLast() }
            guard !content.isEmpty, let offset = Self.find(content, in: text, from: cursor) else { continue }
            result.append((offset, SourcePosition(line: lineIndex + 1, column: indent + 1)))
            cursor = offset + content.count
        }
        return result
    }

    private static func find(_ needle: ArraySlice<Unicode.Scalar>, in haystack: [Unicode.Scalar], from start: Int)
        -> Int?
    {
        guard needle.count <= haystack.count - start else { return nil }
        for offset in start...(haystack.count - needle.count)
        where haystack[offset..<offset + needle.count].elementsEqual(needle) {
            return offset
        }
        return nil
    }
}
