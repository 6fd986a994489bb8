import JobkitHealth
import Testing

/// Alert templates, from the examples of Go's text/template documentation and Prometheus's template
/// reference. (Byte-for-byte agreement with promtool on many more: MemorydTests/TemplateAgreementTests.)
struct AlertTemplateTests {
    func expand(_ source: String, labels: Labels = ["job_type": "extract", "instance": "h:9"], value: Double = 0.5)
        throws -> String
    {
        try AlertTemplate(source).expand(labels: labels, value: value)
    }

    /// text/template's "Examples" section: each of these prints the quoted word.
    @Test(arguments: [
        #"{{"\"output\""}}"#, #"{{`"output"`}}"#, #"{{printf "%q" "output"}}"#, #"{{"output" | printf "%q"}}"#,
        #"{{printf "%q" (print "out" "put")}}"#, #"{{"put" | printf "%s%s" "out" | printf "%q"}}"#,
        #"{{"output" | printf "%s" | printf "%q"}}"#, #"{{with "output"}}{{printf "%q" .}}{{end}}"#,
        #"{{with $x := "output" | printf "%q"}}{{$x}}{{end}}"#, #"{{with $x := "output"}}{{printf "%q" $x}}{{end}}"#,
        #"{{with $x := "output"}}{{$x | printf "%q"}}{{end}}"#,
    ])
    func goDocumentationExamples(source: String) throws {
        #expect(try expand(source) == #""output""#)
    }

    @Test func trimMarkersEatTheSpaceBesideThem() throws {
        #expect(try expand("{{23 -}} < {{- 45}}") == "23<45")
        #expect(try expand("a {{- /* note */ -}} b") == "ab")
    }

    @Test func variablesAndDotAreThoseOfPrometheus() throws {
        #expect(try expand("{{ $labels }}") == "map[instance:h:9 job_type:extract]")
        #expect(try expand("{{ .Labels.job_type }} {{ $value }} {{ .Value }} [{{ $labels.none }}]") == "extract 0.5 0.5 []")
        #expect(try expand("{{ $value }}", value: 1_234_567) == "1.234567e+06")
        let environment = AlertTemplate.Environment(externalLabels: ["region": "eu"], externalURL: "http://m:9/x")
        #expect(
            try AlertTemplate("{{ $externalLabels.region }} {{ $externalURL }} {{ pathPrefix }}")
                .expand(labels: [:], value: 0, environment: environment) == "eu http://m:9/x /x")
    }

    @Test func controlStructures() throws {
        #expect(try expand("{{ if gt $value 1.0 }}big{{ else if gt $value 0.1 }}mid{{ else }}small{{ end }}") == "mid")
        #expect(try expand("{{ with $labels.none }}x{{ else }}none{{ end }}") == "none")
        #expect(try expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}") == "instance=h:9;job_type=extract;")
        #expect(try expand("{{ range $labels }}{{ if eq . \"h:9\" }}{{ continue }}{{ end }}{{ . }}{{ end }}") == "extract")
    }

    @Test func failuresAtRunTimeReadAsPrometheusWritesThem() throws {
        #expect(
            try expand("{{ if gt $value 1 }}x{{ end }}")
                == "<error expanding template: error executing template __alert_: template: __alert_:1:118: executing \"__alert_\" at <gt $value 1>: error calling gt: incompatible types for comparison>"
        )
        #expect(try expand("{{ printf \"%d %s\" 1.5 }}") == "%!d(float64=1.5) %!s(MISSING)")
    }

    @Test func parseErrorsAreRefusedWithGosWords() {
        for (source, message) in [
            ("{{ nofunc }}", "template: t:1: function \"nofunc\" not defined"),
            ("{{ if true }}x", "template: t:1: unexpected EOF"), ("{{ $x }}", "template: t:1: undefined variable \"$x\""),
            ("a\n{{ end }}", "template: t:2: unexpected {{end}}"),
        ] {
            #expect(throws: AlertTemplate.SyntaxError.self) { try AlertTemplate(source, name: "t") }
            #expect((try? AlertTemplate(source, name: "t")) == nil)
            do {
                _ = try AlertTemplate(source, name: "t")
            } catch {
                #expect(error.description == message, "\(source)")
            }
        }
    }

    @Test func prometheusFunctions() throws {
        #expect(try expand("{{ 1536 | humanize1024 }} {{ 0.000123 | humanize }} {{ humanizeTimestamp 1.2345 }}") == "1.5ki 123u 1970-01-01 00:00:01.234 +0000 UTC")
        #expect(try expand("{{ \"hello world\" | title }} {{ stripPort \"[::1]:80\" }} {{ reReplaceAll \"(.*):(.*)\" \"$2\" \"a:b\" }}") == "Hello World ::1 b")
        let environment = AlertTemplate.Environment { expression in
            #expect(expression == "up == 0")
            return [TemplateSample(labels: ["instance": "b"], value: 0), TemplateSample(labels: ["instance": "a"], value: 0)]
        }
        #expect(
            try AlertTemplate(#"{{ range query "up == 0" | sortByLabel "instance" }}{{ .Labels.instance }}{{ end }}"#)
                .expand(labels: [:], value: 0, environment: environment) == "ab")
    }

    @Test func namedTemplatesAndTheirBounds() throws {
        #expect(try expand(#"{{ define "t" }}<{{ . }}>{{ end }}{{ template "t" $labels.job_type }}{{ block "b" 1 }}[{{ . }}]{{ end }}"#) == "<extract>[1]")
        let recursive = try expand(#"{{ define "loop" }}{{ template "loop" . }}{{ end }}{{ template "loop" . }}"#)
        #expect(recursive.hasSuffix("exceeded maximum template depth (\(AlertTemplate.maximumTemplateDepth))>"), "\(recursive)")
        let endless = try expand(#"{{ range $i, $x := $labels }}{{ range $labels }}{{ range $labels }}x{{ end }}{{ end }}{{ end }}"#)
        #expect(!endless.isEmpty)
    }

    /// A rule file is loaded on a connection's thread (`POST /v1/reload`): nesting is bounded so a
    /// hostile template is refused instead of overflowing that thread's stack.
    @Test func deepNestingIsRefused() {
        let parentheses = "{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}"
        let conditions = String(repeating: "{{ if true }}", count: 100_000) + String(repeating: "{{ end }}", count: 100_000)
        for source in [parentheses, conditions] {
            #expect {
                try AlertTemplate(source, name: "t")
            } throws: { error in
                (error as? AlertTemplate.SyntaxError)?.description == "template: t:1: nested deeper than 128 levels"
            }
        }
        #expect((try? AlertTemplate("{{ " + String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100) + " }}", name: "t")) != nil)
    }

    /// Rules are evaluated on concurrency pool threads, whose stacks are small: a template that calls
    /// itself from deep inside nested bodies stops at the depth bound instead of overflowing one.
    @Test func recursionInsideNestedBodiesStopsAtTheBound() async throws {
        let body = String(repeating: "{{ if true }}", count: 120) + #"{{ template "r" . }}"# + String(repeating: "{{ end }}", count: 120)
        let template = try AlertTemplate(#"{{ define "r" }}"# + body + #"{{ end }}{{ template "r" . }}"#)
        let expanded = await Task.detached { template.expand(labels: [:], value: 1) }.value
        #expect(expanded.hasSuffix("exceeded maximum template depth (\(AlertTemplate.maximumTemplateDepth))>"), "\(expanded)")
    }
}
