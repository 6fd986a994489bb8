/// Reads a one-line flow collection: `{key: value, …}` or `[item, …]`, nested, with plain or quoted scalars.
struct FlowReader {
    private let characters: [Character]
    private var offset = 0
    private let line: Int
    private let column: Int

    init(text: String, line: Int, column: Int) {
        characters = Array(text)
        self.line = line
        self.column = column
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column + offset) }

    /// The collection; anything after it but spaces is an error.
    mutating func read() throws(YAMLError) -> YAMLNode {
        let node = try value()
        skipSpaces()
        guard offset == characters.count else {
            throw YAMLError(position: position, message: "unexpected text after a flow collection")
        }
        return node
    }

    private mutating func skipSpaces() {
        while offset < characters.count, characters[offset] == " " { offset += 1 }
    }

    private mutating func value() throws(YAMLError) -> YAMLNode {
        skipSpaces()
        let start = position
        guard offset < characters.count else { throw YAMLError(position: start, message: "a value is missing") }
        switch characters[offset] {
        case "{":
            offset += 1
            var entries: [(key: YAMLScalar, value: YAMLNode)] = []
            while true {
                skipSpaces()
                if offset < characters.count, characters[offset] == "}" { break }
                let key = try scalar(stoppingAt: [":"])
                guard offset < characters.count, characters[offset] == ":" else {
                    throw YAMLError(position: position, message: "expected ':' in a flow mapping")
                }
                offset += 1
                guard !entries.contains(where: { $0.key.text == key.text }) else {
                    throw YAMLError(
                        position: key.position, message: "key '\(key.text)' appears twice in the same mapping")
                }
                entries.append((key, try value()))
                skipSpaces()
                guard offset < characters.count, characters[offset] == "," else { break }
                offset += 1
            }
            try expect("}")
            return .mapping(entries, start)
        case "[":
            offset += 1
            var items: [YAMLNode] = []
            while true {
                skipSpaces()
                if offset < characters.count, characters[offset] == "]" { break }
                items.append(try value())
                skipSpaces()
                guard offset < characters.count, characters[offset] == "," else { break }
                offset += 1
            }
            try expect("]")
            return .sequence(items, start)
        default:
            return .scalar(try scalar(stoppingAt: [",", "}", "]"]))
        }
    }

    private mutating func expect(_ closing: Character) throws(YAMLError) {
        skipSpaces()
        guard offset < characters.count, characters[offset] == closing else {
            throw YAMLError(position: position, message: "expected '\(closing)'")
        }
        offset += 1
    }

    private mutating func scalar(stoppingAt stops: Set<Character>) throws(YAMLError) -> YAMLScalar {
        skipSpaces()
        let start = position
        var text = ""
        if offset < characters.count, characters[offset] == "\"" || characters[offset] == "'" {
            let quote = characters[offset]
            text.append(quote)
            offset += 1
            while offset < characters.count {
                let character = characters[offset]
                text.append(character)
                offset += 1
                if character == "\\" && quote == "\"" && offset < characters.count {
                    text.append(characters[offset])
                    offset += 1
                } else if character == quote {
                    break
                }
            }
        } else {
            while offset < characters.count, !stops.contains(characters[offset]) {
                text.append(characters[offset])
                offset += 1
            }
            while text.last == " " { text.removeLast() }
        }
        return YAMLScalar(text: try YAMLReader.unquoted(text, at: start), position: start)
    }
}
