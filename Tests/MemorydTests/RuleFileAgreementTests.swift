import Foundation
import JobkitHealth
import Testing

/// memoryd accepts and refuses rule files as `promtool check rules` 2.42 does, one validation per case,
/// and says what promtool says where promtool's words name no Go type.
@Suite(.timeLimit(.minutes(3)))
struct RuleFileAgreementTests {
    struct Case {
        var name: String
        var text: String
        /// Whether promtool's message (without its file prefix) must be memoryd's too; false where promtool
        /// reports go-yaml's decoding errors (`field x not found in type rulefmt.RuleNode`).
        var sameWords = true
    }

    static func rule(_ body: String) -> String { "groups:\n  - name: g\n    rules:\n      - " + body }

    static let cases: [Case] = [
        Case(name: "a valid rule", text: rule("alert: A\n        expr: up == 0\n        for: 5m")),
        Case(name: "a group given twice", text: "groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n"),
        Case(name: "an empty group name", text: "groups:\n  - name: ''\n    rules: []\n"),
        Case(name: "record with for", text: rule("record: r\n        expr: up\n        for: 1m")),
        Case(name: "record with annotations", text: rule("record: r\n        expr: up\n        annotations: {a: b}")),
        Case(name: "record with keep_firing_for", text: rule("record: r\n        expr: up\n        keep_firing_for: 1m")),
        Case(name: "an invalid record name", text: rule("record: 'bad name'\n        expr: up")),
        Case(name: "an invalid label name", text: rule("alert: A\n        expr: up\n        labels: {bad-name: x}")),
        Case(name: "a __name__ label", text: rule("alert: A\n        expr: up\n        labels: {__name__: x}")),
        Case(name: "an invalid annotation name", text: rule("alert: A\n        expr: up\n        annotations: {bad-name: x}")),
        Case(name: "a __name__ annotation", text: rule("alert: A\n        expr: up\n        annotations: {__name__: x}")),
        Case(name: "an empty expr", text: rule("alert: A\n        expr: ''")),
        Case(name: "no expr", text: rule("alert: A")),
        Case(name: "alert and record", text: rule("alert: A\n        record: r\n        expr: up")),
        Case(name: "neither alert nor record", text: rule("expr: up")),
        // The PromQL parser's messages are its own (its position goes in front, not in the message).
        Case(name: "an expression that does not parse", text: rule("alert: A\n        expr: sum(up"), sameWords: false),
        Case(name: "a range vector expression", text: rule("record: r\n        expr: up[5m]")),
        Case(name: "a string expression", text: rule("alert: A\n        expr: '\"text\"'")),
        Case(name: "a number in YAML as expr", text: rule("alert: A\n        expr: 1")),
        Case(name: "a number as the alert name", text: rule("alert: 123\n        expr: up")),
        // promtool's message names neither the group nor the rule nor the field; memoryd's does.
        Case(name: "for without a unit", text: rule("alert: A\n        expr: up\n        for: 5"), sameWords: false),
        Case(name: "for zero", text: rule("alert: A\n        expr: up\n        for: 0")),
        Case(name: "keep_firing_for on an alert", text: rule("alert: A\n        expr: up\n        keep_firing_for: 10m")),
        Case(name: "a group interval and limit", text: "groups:\n  - name: g\n    interval: 30s\n    limit: 10\n    rules: []\n"),
        Case(name: "a limit that is no number", text: "groups:\n  - name: g\n    limit: many\n    rules: []\n", sameWords: false),
        Case(name: "null labels", text: rule("alert: A\n        expr: up\n        labels: ~")),
        Case(name: "a list as a label value", text: rule("alert: A\n        expr: up\n        labels: {a: [x]}"), sameWords: false),
        Case(name: "an unknown rule field", text: rule("alert: A\n        expr: up\n        severity: page"), sameWords: false),
        Case(name: "an unknown group field", text: "groups:\n  - name: g\n    rulez: []\n", sameWords: false),
        Case(name: "an unknown top-level field", text: "groups: []\nrules: []\n", sameWords: false),
        Case(name: "a key given twice", text: rule("alert: A\n        expr: up\n        expr: down"), sameWords: false),
        Case(name: "a tab-indented key", text: "groups:\n\t- name: g\n", sameWords: false),
        Case(name: "an alert template that does not parse", text: rule("alert: A\n        expr: up\n        annotations: {s: '{{ nofunc }}'}")),
        Case(name: "a recording rule label that looks like a broken template", text: rule("record: r\n        expr: up\n        labels: {a: '{{ bad'}")),
        Case(name: "an empty file", text: ""),
        Case(name: "no groups", text: "groups: []\n"),
        Case(name: "two documents", text: "groups: []\n---\nnonsense: [\n"),
    ]

    @Test func everyCaseIsDecidedAsPromtoolDecidesIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rulefmt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rules.yml")
        for item in Self.cases {
            try item.text.write(to: file, atomically: true, encoding: .utf8)
            let check = try await runTool("promtool", ["check", "rules", file.path])
            let mine: [String]
            do {
                _ = try RuleFile.parse(item.text, file: file.path)
                mine = []
            } catch {
                mine = error.problems.map(\.message)
            }
            #expect((check.status == 0) == mine.isEmpty, "\(item.name): promtool \(check.output), memoryd \(mine)")
            guard item.sameWords, check.status != 0 else { continue }
            let theirs = check.output.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: "\(file.path): ") else { return nil }
                var message = line[range.upperBound...]
                // Some promtool messages start with lines and columns (`5:17: 4:16: …`); memoryd puts one
                // in front of each problem instead.
                while let first = message.first, first.isNumber {
                    message = message.drop { $0.isNumber || $0 == ":" }.drop { $0 == " " }
                }
                return String(message)
            }
            #expect(mine == theirs, "\(item.name)")
        }
    }
}
