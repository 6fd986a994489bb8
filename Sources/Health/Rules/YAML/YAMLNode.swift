/// A place in a file: 1-based line and column (in Unicode scalars).
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    public static func < (left: SourcePosition, right: SourcePosition) -> Bool {
        (left.line, left.column) < (right.line, right.column)
    }
}

/// A node of a YAML document, with where it starts. Aliases are resolved and `<<` merge keys applied.
public indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping([(key: YAMLScalar, value: YAMLNode)], SourcePosition)
    case sequence([YAMLNode], SourcePosition)
    /// No document at all (an empty file, or only comments).
    case empty(SourcePosition)

    public var position: SourcePosition {
        switch self {
        case .scalar(let scalar): scalar.position
        case .mapping(_, let position), .sequence(_, let position), .empty(let position): position
        }
    }

    /// What the node is, for messages: "a string", "a mapping", "a list".
    public var kindDescription: String {
        switch self {
        case .scalar(let scalar): scalar.isNull ? "null" : "a string"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .empty: "nothing"
        }
    }
}

/// A scalar's value and where each of its source lines starts, so a position inside it maps back to the file.
public struct YAMLScalar: Sendable {
    /// How the scalar was written.
    public enum Style: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The value after YAML's quoting, escaping, folding and chomping.
    public var text: String
    public var position: SourcePosition
    public var style: Style = .plain
    /// The explicit tag (`!!str`, `!!null`, `!custom`), expanded, if the scalar has one.
    public var tag: String?
    /// For each source line of the scalar after the first: its offset in `text` (Unicode scalars) and
    /// its place in the file.
    var lineStarts: [(offset: Int, position: SourcePosition)] = []

    public init(text: String, position: SourcePosition, style: Style = .plain, tag: String? = nil) {
        self.text = text
        self.position = position
        self.style = style
        self.tag = tag
    }

    /// Whether the scalar is YAML's null (`~`, `null`, nothing), which a string field reads as empty.
    public var isNull: Bool {
        if let tag { return tag == YAMLParser.nullTag }
        return style == .plain && ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// Where the `offset`-th Unicode scalar of `text` is in the file.
    public func position(ofOffset offset: Int) -> SourcePosition {
        guard let start = lineStarts.last(where: { $0.offset <= offset }) else {
            return SourcePosition(line: position.line, column: position.column + offset)
        }
        return SourcePosition(line: start.position.line, column: start.position.column + offset - start.offset)
    }
}

/// A document that is not valid YAML, or one that uses YAML in a way a configuration file must not
/// (a key given twice, aliases that expand without bound).
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public var description: String { "\(position): \(message)" }

    public init(position: SourcePosition, message: String) {
        self.position = position
        self.message = message
    }
}
