import Foundation
import JobkitHealth
import JobkitMetrics
import Testing

/// Alert templates expand byte for byte as Prometheus 2.42 expands them: the same rule file and series
/// go through `promtool test rules` (which prints the alerts it got) and through memoryd's rule engine,
/// and every alert's labels and annotations must be equal. Templates Go refuses must be refused with
/// promtool's words.
@Suite(.timeLimit(.minutes(3)))
struct TemplateAgreementTests {
    /// The series both sides evaluate: `name{labels} value`.
    static let series: [(labels: [String: String], value: Double)] = [
        (["job": "node", "instance": "host-a:9100"], 1234.5),
        (["job": "db", "instance": "10.0.0.7:5432"], 7),
        (["job": "node", "instance": "[::1]:9100"], 0.000125),
    ]
    static let metric = "template_input"

    /// Templates written from Go's text/template and Prometheus's template reference, one feature or
    /// pitfall each (and the shapes public rule collections use most).
    static let annotations: [String] = [
        "{{ $labels }}",
        "{{ $labels.instance }} {{ .Labels.job }} [{{ $labels.missing }}] {{ index $labels \"job\" }}",
        "{{ $value }} {{ .Value }} {{ $value | humanize }} {{ humanize1024 $value }} {{ humanize 0 }}",
        "{{ humanizePercentage 0.1234 }} {{ humanizeDuration 93784 }} {{ humanizeDuration 0.25 }} {{ humanizeDuration 75.5 }}",
        "{{ humanize1024 1536 }} {{ humanize1024 0.5 }} {{ humanize 0.000123 }} {{ humanize \"2048\" }} {{ humanize 1e30 }}",
        "{{ printf \"%.2f%%\" $value }} {{ printf \"%5.1f|%-4d|%q|%x|%v|%s\" 3.14159 7 \"a\\\"b\" 255 $labels $labels.job }}",
        "{{ printf \"%e %g %.3g %08.3f %+d %6s|%-6s|\" $value $value $value $value 5 \"ab\" \"cd\" }}",
        "{{ printf \"%d\" 1.5 }} {{ printf \"%s\" 3 }} {{ printf \"%d %d\" 1 }} {{ printf \"%d\" 1 2 }} {{ print 1 2 \"a\" \"b\" 3 }}",
        "{{ println \"x\" 1 }}{{ print $value }} {{ printf \"%v %t %c %o %X %5.2s|\" true false 65 8 255 \"abcdef\" }}",
        "{{ if gt $value 100.0 }}high{{ else if gt $value 5.0 }}mid{{ else }}low{{ end }} {{ with $labels.nothing }}x{{ else }}none{{ end }}",
        "{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }} {{ range $labels }}{{ . }};{{ end }}",
        "a  {{- /* a comment */ -}}  b {{- \" c \" -}}  d {{ \"e\" -}} \n f",
        "{{ $x := 1 }}{{ $x = 2 }}{{ $x }} {{ $y := $labels.job | toUpper }}{{ $y }} {{ len $labels }} {{ len \"héllo\" }}",
        "{{ and 1 0 \"x\" }} {{ or \"\" 0 \"y\" }} {{ not 0 }} {{ eq $labels.job \"node\" }} {{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }}",
        "{{ lt 1 2 }} {{ le 2.5 2.5 }} {{ ge \"b\" \"a\" }} {{ gt \"a\" \"b\" }} {{ and $labels.job (eq $labels.job \"db\") }}",
        "{{ if gt $value 80 }}big{{ end }}",
        "{{ humanize \"abc\" }}",
        "{{ .Foo }}",
        "{{ $labels.job | humanize }}",
        "{{ toUpper $value }}",
        "{{ title \"hello world-x o'neil\" }} {{ toUpper \"abc\" }} {{ toLower \"ÀBC\" }} {{ stripPort $labels.instance }}",
        "{{ stripPort \"nohost\" }} {{ stripPort \"a:b:c\" }} {{ match \"^host\" $labels.instance }} {{ match \"9100$\" $labels.instance }}",
        "{{ reReplaceAll \"([a-z]+)-([a-z]+)\" \"$2/$1\" $labels.instance }} {{ reReplaceAll \":.*\" \"\" $labels.instance }}",
        "{{ with query \"template_input\" }}{{ range sortByLabel \"instance\" . }}{{ .Labels.instance }}={{ .Value }} {{ end }}{{ end }}",
        "{{ query \"template_input{job='db'}\" | first | value }} {{ with query \"template_input{job='db'}\" }}{{ . | first | label \"instance\" }}{{ end }}",
        "{{ query \"1 + 1\" | first | value }} {{ len (query \"template_input\") }} {{ with query \"nothing_here\" }}x{{ else }}empty{{ end }}",
        "{{ range $i, $s := query \"template_input\" }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ end }}|{{ range $i, $s := query \"template_input\" }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
        "{{ query \"nothing_here\" | first }}",
        "{{ with query \"template_input{job='db'}\" }}[{{ . | first | strvalue }}]{{ end }} {{ (query \"template_input{job='db'}\" | first).Labels.job }}",
        "{{ humanizeTimestamp 1.2345 }}|{{ toTime 1700000000.5 }}|{{ humanizeTimestamp 1e30 }}",
        "{{ html \"<a href='x'>&</a>\" }} {{ urlquery \"a b&c=d/é\" }} {{ js \"it's <b>\" }} {{ safeHtml \"<b>\" }}",
        "{{ graphLink \"up > 1\" }} {{ tableLink \"rate(x[5m])\" }}",
        "{{ with args 1 \"x\" }}{{ .arg0 }} {{ .arg1 }}{{ end }}",
        "{{ 1.5 }} {{ 1e3 }} {{ 0x1F }} {{ -3 }} {{ 'a' }} {{ 1000000.0 }} {{ 0.00001 }} {{ 017 }} {{ true }}",
        "{{ $value | printf \"%.1f\" }} {{ $labels.job | toUpper | printf \"%s!\" }} {{ slice \"abcdef\" 1 3 }}",
        "{{ define \"where\" }}[{{ .Labels.instance }} {{ $.Value }}]{{ end }}{{ template \"where\" . }} {{ block \"v\" $value }}<{{ . }}>{{ end }} {{ template \"v\" 2 }} {{ template \"v\" }}",
        "{{ template \"nowhere\" . }}",
    ]

    /// Alert labels are templates too (a recording rule's are not).
    static let labels: [String: String] = [
        "severity": "{{ if gt $value 100.0 }}critical{{ else }}warning{{ end }}",
        "where": "{{ $labels.job }}@{{ $labels.instance | stripPort }}",
        "empty": "{{ $labels.missing }}",
    ]

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    static var ruleFile: String {
        var lines = ["groups:", "  - name: templates", "    rules:", "      - alert: Templated", "        expr: \(metric)"]
        lines.append("        labels:")
        for (name, template) in labels.sorted(by: { $0.key < $1.key }) { lines.append("          \(name): \(quoted(template))") }
        lines.append("        annotations:")
        for (index, template) in annotations.enumerated() { lines.append("          a\(index): \(quoted(template))") }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func alertsExpandAsPromtoolExpandsThem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tmpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.ruleFile.write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        let inputs = Self.series.map { series in
            let labels = series.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
            return "      - series: '\(Self.metric){\(labels.joined(separator: ", "))}'\n        values: '\(series.value)x2'"
        }
        let test = """
            rule_files: [rules.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
            \(inputs.joined(separator: "\n"))
                alert_rule_test:
                  - eval_time: 1m
                    alertname: Templated
                    exp_alerts: []
            """
        try test.write(to: directory.appendingPathComponent("test.yml"), atomically: true, encoding: .utf8)
        let run = try await runTool("promtool", ["test", "rules", directory.appendingPathComponent("test.yml").path])
        let expected = try PromtoolAlerts.parse(run.output)
        #expect(expected.count == Self.series.count, "promtool printed: \(run.output)")

        let registry = MetricsRegistry()
        let gauge = try registry.gauge(Self.metric, help: "Template input.", labelNames: ["instance", "job"])
        for series in Self.series { try gauge.labels(series.labels["instance"]!, series.labels["job"]!).set(series.value) }
        let engine = RuleEngine(
            groups: try RuleFile.parse(Self.ruleFile, file: "rules.yml"), defaultIntervalMilliseconds: 60_000)
        _ = engine.evaluate(group: 0, at: 0, families: registry.collect())
        let evaluation = engine.evaluate(group: 0, at: 60_000, families: registry.collect())
        #expect(evaluation.failures.isEmpty, "\(evaluation.failures)")
        let actual = engine.activeAlerts.map { PromtoolAlerts.Alert(labels: $0.labels, annotations: $0.annotations) }

        for alert in expected {
            guard let mine = actual.first(where: { $0.labels == alert.labels }) else {
                Issue.record("memoryd has no alert \(alert.labels); it has \(actual.map(\.labels))")
                continue
            }
            for (index, template) in Self.annotations.enumerated() {
                let key = "a\(index)"
                #expect(mine.annotations[key] == alert.annotations[key], "template \(template) on \(alert.labels)")
            }
        }
    }

    /// Templates Go's parser refuses, and what promtool says about each.
    static let refused: [String] = [
        "{{ nofunc }}", "{{ $undefined }}", "{{ if }}x{{ end }}", "{{ if true }}x", "{{ end }}", "{{ .A | 1 }}",
        "{{ (1 }}", "{{ \"unterminated }}", "{{ break }}", "{{ else }}", "{{ $labels.job", "{{ $x := }}",
        "{{ range $a, $b, $c := . }}{{ end }}", "{{ with }}{{ end }}", "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
        "{{ if true }}{{ define \"x\" }}a{{ end }}{{ end }}", "{{ template 1 }}", "{{ define x }}{{ end }}",
        "{{ define \"x\" }}{{ $labels }}{{ end }}", "{{ define \"x\" }}a{{ end }}{{ define \"x\" }}b{{ end }}",
        "{{ block \"x\" . }}a", "{{ .A | | .B }}", "{{ \"a long string here\" \"b\" ) }}",
    ]

    @Test func refusedTemplatesAreRefusedWithPromtoolsWords() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tmpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for template in Self.refused {
            let file = directory.appendingPathComponent("bad.yml")
            let text = """
                groups:
                  - name: bad
                    rules:
                      - alert: Bad
                        expr: vector(1)
                        annotations:
                          summary: \(Self.quoted(template))
                """
            try text.write(to: file, atomically: true, encoding: .utf8)
            let check = try await runTool("promtool", ["check", "rules", file.path])
            #expect(check.status != 0, "promtool accepted \(template)")
            let promtool = check.output.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: "\(file.path): ") else { return nil }
                return String(line[range.upperBound...])
            }
            #expect {
                try RuleFile.parse(text, file: file.path)
            } throws: { error in
                let mine = (error as? RuleFileErrors)?.problems.map(\.message) ?? []
                #expect(mine == promtool, "\(template)")
                return mine == promtool
            }
        }
    }
}

/// The alerts `promtool test rules` prints when they differ from the expected ones.
enum PromtoolAlerts {
    struct Alert: Equatable {
        var labels: [String: String]
        var annotations: [String: String]
    }

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ output: String) throws -> [Alert] {
        var alerts: [Alert] = []
        var labels: [String: String]?
        for line in output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("Labels:") {
                labels = try pairs(String(trimmed.dropFirst("Labels:".count)))
            } else if trimmed.hasPrefix("Annotations:"), let current = labels {
                alerts.append(Alert(labels: current, annotations: try pairs(String(trimmed.dropFirst("Annotations:".count)))))
                labels = nil
            }
        }
        return alerts
    }

    /// `{a="x", b="y"}` with Go's quoting.
    static func pairs(_ text: String) throws -> [String: String] {
        var scalars = Array(text.unicodeScalars)[...]
        if scalars.last == "," { scalars = scalars.dropLast() }
        guard scalars.first == "{", scalars.last == "}" else { throw Unreadable(description: text) }
        scalars = scalars.dropFirst().dropLast()
        var result: [String: String] = [:]
        while !scalars.isEmpty {
            guard let equals = scalars.firstIndex(of: "=") else { throw Unreadable(description: text) }
            let key = String(String.UnicodeScalarView(scalars[..<equals]))
            scalars = scalars[scalars.index(after: equals)...]
            guard scalars.first == "\"" else { throw Unreadable(description: text) }
            scalars = scalars.dropFirst()
            var value = String.UnicodeScalarView()
            while let scalar = scalars.first, scalar != "\"" {
                scalars = scalars.dropFirst()
                guard scalar == "\\", let escape = scalars.first else {
                    value.append(scalar)
                    continue
                }
                scalars = scalars.dropFirst()
                switch escape {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "x", "u", "U":
                    let count = escape == "x" ? 2 : escape == "u" ? 4 : 8
                    let digits = String(String.UnicodeScalarView(scalars.prefix(count)))
                    scalars = scalars.dropFirst(count)
                    guard let code = UInt32(digits, radix: 16), let decoded = Unicode.Scalar(code) else {
                        throw Unreadable(description: text)
                    }
                    value.append(decoded)
                default: value.append(escape)
                }
            }
            scalars = scalars.dropFirst()
            if scalars.first == "," { scalars = scalars.dropFirst() }
            if scalars.first == " " { scalars = scalars.dropFirst() }
            result[key] = String(value)
        }
        return result
    }
}
