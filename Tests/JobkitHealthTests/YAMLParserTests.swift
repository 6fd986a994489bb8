import JobkitHealth
import Testing

/// YAML through libyaml: values as YAML defines them, positions from libyaml's marks, and the limits a
/// hostile document meets. (Agreement with PyYAML on tricky documents: MemorydTests/YAMLAgreementTests.)
struct YAMLParserTests {
    func mapping(_ text: String) throws -> [(key: YAMLScalar, value: YAMLNode)] {
        guard case .mapping(let entries, _) = try YAMLParser.parse(text) else {
            Issue.record("not a mapping")
            return []
        }
        return entries
    }

    func text(_ node: YAMLNode?) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.text
    }

    @Test func blockScalarsKeepWhatTheyHold() throws {
        let entries = try mapping(
            """
            description: |
              See issue #123.
                more indented
            keep: |+
              kept

            folded: >
              a
              b

              c
            next: x
            """)
        let values = Dictionary(uniqueKeysWithValues: entries.map { ($0.key.text, text($0.value)) })
        #expect(values["description"] == "See issue #123.\n  more indented\n")
        #expect(values["keep"] == "kept\n\n")
        #expect(values["folded"] == "a b\nc\n")
        #expect(values["next"] == "x")
    }

    @Test func positionsAreThoseOfTheSource() throws {
        let entries = try mapping("a: 1\nlist:\n  - b: \"two\"\n")
        #expect(entries[0].key.position == SourcePosition(line: 1, column: 1))
        #expect(entries[1].key.position == SourcePosition(line: 2, column: 1))
        guard case .sequence(let items, let position) = entries[1].value,
            case .mapping(let inner, _) = items.first, case .scalar(let two) = inner.first?.value
        else {
            Issue.record("unexpected shape")
            return
        }
        #expect(position == SourcePosition(line: 3, column: 3))
        #expect(two.position == SourcePosition(line: 3, column: 8))
        #expect(two.style == .doubleQuoted)
    }

    @Test func aPositionInsideABlockScalarMapsToItsLine() throws {
        let entries = try mapping("expr: |\n  sum(x)\n    + rate(y)\n")
        guard case .scalar(let expr) = entries[0].value else { return }
        let offset = Array(expr.text.unicodeScalars).firstIndex(of: "r")!
        #expect(expr.position(ofOffset: offset) == SourcePosition(line: 3, column: 7))
    }

    @Test func mergeKeysAddWhatIsNotGiven() throws {
        let entries = try mapping("base: &b {a: 1, b: 2}\nuse:\n  <<: *b\n  b: 3\n")
        guard case .mapping(let use, _) = entries[1].value else { return }
        let values = Dictionary(uniqueKeysWithValues: use.map { ($0.key.text, text($0.value)) })
        #expect(values == ["a": "1", "b": "3"])
    }

    @Test func aKeyGivenTwiceIsAnError() {
        #expect {
            try YAMLParser.parse("a: 1\nb: 2\na: 3\n")
        } throws: { error in
            (error as? YAMLError)?.description == "3:1: mapping key \"a\" already defined at line 1"
        }
    }

    @Test func syntaxErrorsSayWhereAndWhat() {
        #expect {
            try YAMLParser.parse("a:\n\tb: 1\n")
        } throws: { error in
            (error as? YAMLError)?.description
                == "2:1: while scanning for the next token (from 2:1): found character that cannot start any token"
        }
    }

    @Test func aliasBombsAndDeepNestingHitTheLimits() {
        let bomb = (1...9).reduce("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n") { text, level in
            text + "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(throws: YAMLError.self) { try YAMLParser.parse(bomb) }
        let limits = YAMLParser.Limits(maximumDepth: 8)
        let deep = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect {
            try YAMLParser.parse(deep, limits: limits)
        } throws: { error in
            (error as? YAMLError)?.message == "nested more than 8 levels deep"
        }
    }

    @Test func nullsAndTagsAreKept() throws {
        let entries = try mapping("a:\nb: ~\nc: !!str null\nd: 'null'\n")
        let nulls = entries.map { entry -> Bool in
            guard case .scalar(let scalar) = entry.value else { return false }
            return scalar.isNull
        }
        #expect(nulls == [true, true, false, false])
    }

    @Test func onlyTheFirstDocumentIsRead() throws {
        let entries = try mapping("a: 1\n---\nb: 2\n")
        #expect(entries.map(\.key.text) == ["a"])
        guard case .empty = try YAMLParser.parse("# only a comment\n") else {
            Issue.record("a comment-only file is not empty")
            return
        }
    }
}

extension YAMLParserTests {
    /// libyaml breaks lines at a lone CR too; a scalar over such lines keeps its start as its position
    /// (found by the rule-file fuzzer, which crashed on it).
    @Test func aScalarOverCarriageReturnsHasItsStartPosition() throws {
        let entries = try mapping("a: b\rc: \"x\r  y\"\rd: e\n")
        #expect(entries.map(\.key.text) == ["a", "c", "d"])
        guard case .scalar(let value) = entries[1].value else { return }
        #expect(value.text == "x y")
        #expect(value.position(ofOffset: 2) == SourcePosition(line: 2, column: 6))
    }
}
