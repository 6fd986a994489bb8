import Foundation
import JobkitHealth
import Testing

/// memoryd reads YAML as PyYAML (libyaml's other well-known user) does: tricky documents are parsed by
/// both, every scalar kept as its text (null as null), and the trees must be equal; documents PyYAML
/// refuses memoryd refuses too.
@Suite(.timeLimit(.minutes(2)))
struct YAMLAgreementTests {
    /// PyYAML's safe loader with every scalar left as the string it is (what a rule file's fields are)
    /// except null, and its merge keys applied; the tree printed as JSON, or "ERROR" and the problem.
    static let loader = """
        import json, sys, yaml
        class Loader(yaml.SafeLoader):
            pass
        for tag in ("bool", "int", "float", "timestamp", "binary", "str"):
            Loader.add_constructor("tag:yaml.org,2002:" + tag, lambda loader, node: loader.construct_scalar(node))
        try:
            print(json.dumps(yaml.load(sys.stdin.read(), Loader=Loader)))
        except yaml.YAMLError as error:
            print("ERROR", str(error).replace("\\n", " "))
        """

    static let documents: [(name: String, text: String)] = [
        (
            "literal blocks",
            """
            plain: |
              See issue #123 before paging.
                # this line is more indented, and no comment

              last line
            keep: |+
              kept

            strip: |-
              stripped

            indented: |2
                two extra spaces
            leading_comment: |
              # runbook
              step one
            after: x
            """
        ),
        (
            "folded blocks",
            """
            folded: >
              one
              two

              three
                indented stays
              back
            strip: >-
              a
              b
            keep: >+
              c

            """
        ),
        (
            "quoted scalars over several lines",
            """
            double: "first
              second\\tTabbed \\u00e9 \\
              joined"
            empty_lines: "a

              b"
            single: 'it''s
              folded'
            plain: this plain
              scalar goes on
              # not a comment here? it is: a comment ends the scalar
            other: v
            """
        ),
        (
            "anchors, aliases and merges",
            """
            base: &base {severity: warning, team: infra}
            page: &page
              severity: critical
            rule:
              <<: *base
              team: storage
            both:
              <<: [*page, *base]
            again: *base
            list: &list [a, b]
            copy: *list
            """
        ),
        (
            "flow style and comments everywhere",
            """
            --- # a document start with a comment
            groups: [ {name: g, rules: [ {alert: A, expr: "up == 0", labels: {s: "1"}} ]} ]  # trailing
            # between
            "quoted key": 'value' # after
            key with spaces: value with spaces
            empty:
            tilde: ~
            null_word: null
            tagged: !!str 0123
            number_like: 1e3
            bool_like: yes
            ...
            """
        ),
        (
            "a rule file as people write them",
            """
            groups:
            - name: host
              rules:
              - alert: HostOutOfMemory
                expr: 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10'
                for: 2m
                labels:
                  severity: warning
                annotations:
                  summary: Host out of memory (instance {{ $labels.instance }})
                  description: "Memory is filling up (< 10% left)\\n  VALUE = {{ $value }}\\n  LABELS = {{ $labels }}"
              - alert: Folded
                expr: >-
                  sum by (instance) (rate(x[5m]))
                    > 0
            """
        ),
        ("windows line endings", "a: 1\r\nb: |\r\n  x\r\n  y\r\nc: \"q\r\n  r\"\r\n"),
        ("unicode", "名前: \"ウィジェット\"\nemoji: 🚀 launch\nescaped: \"\\U0001F680\"\n"),
    ]

    /// Documents both must refuse.
    static let refused: [(name: String, text: String)] = [
        ("a tab-indented key", "a:\n\tb: 1\n"),
        ("an unterminated quote", "a: \"open\nb: 1\n"),
        ("a bad indentation", "a:\n  b: 1\n c: 2\n"),
        ("an undefined alias", "a: *nothing\n"),
        ("a block sequence inside a flow mapping", "a: {b: - c}\n"),
    ]

    static func tree(_ node: YAMLNode) -> Any {
        switch node {
        case .scalar(let scalar): return scalar.isNull ? NSNull() : scalar.text
        case .mapping(let entries, _):
            return Dictionary(entries.map { ($0.key.text, tree($0.value)) }, uniquingKeysWith: { first, _ in first })
        case .sequence(let items, _): return items.map(tree)
        case .empty: return NSNull()
        }
    }

    static func python(_ text: String) async throws -> String {
        let run = try await runTool("python3", ["-c", loader], input: Data(text.utf8))
        #expect(run.status == 0, "python3: \(run.output)")
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func treesAreThoseOfPyYAML() async throws {
        for (name, text) in Self.documents {
            let reference = try await Self.python(text)
            guard !reference.hasPrefix("ERROR") else {
                Issue.record("PyYAML refuses \(name): \(reference)")
                continue
            }
            let expected = try JSONSerialization.jsonObject(with: Data(reference.utf8), options: [.fragmentsAllowed])
            let mine = Self.tree(try YAMLParser.parse(text))
            #expect(NSDictionary(dictionary: ["v": mine]).isEqual(to: ["v": expected]), "\(name): memoryd \(mine), PyYAML \(reference)")
        }
    }

    @Test func documentsPyYAMLRefusesAreRefused() async throws {
        for (name, text) in Self.refused {
            let reference = try await Self.python(text)
            #expect(reference.hasPrefix("ERROR"), "PyYAML accepts \(name): \(reference)")
            #expect(throws: YAMLError.self, "\(name)") { try YAMLParser.parse(text) }
        }
    }
}
