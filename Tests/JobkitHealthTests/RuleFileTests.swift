import JobkitHealth
import Testing

struct RuleFileTests {
    static let valid = """
        # memoryd's own alerts
        groups:
          - name: jobs
            interval: 30s
            rules:
              - alert: JobFailing
                expr: |
                  sum by (job) (rate(jobkit_tasks_total{outcome="failure"}[5m]))
                    / sum by (job) (rate(jobkit_tasks_total[5m])) > 0.1
                for: 10m
                labels:
                  severity: warning
                annotations:
                  summary: "{{ $labels.job }} fails {{ $value | humanizePercentage }} of its tasks"
              - record: job:tasks:rate5m
                expr: sum by (job) (rate(jobkit_tasks_total[5m]))
                labels: {source: memoryd}
          - name: queue
            rules:
            - alert: QueueBacklog
              expr: jobkit_queue_depth{state="queued"}
                > 100
              keep_firing_for: 5m
        """

    @Test func aValidFileGivesItsGroupsAndRules() throws {
        let groups = try RuleFile.parse(Self.valid, file: "alerts.yml")
        #expect(groups.map(\.name) == ["jobs", "queue"])
        #expect(groups[0].intervalMilliseconds == 30_000)
        #expect(groups[1].intervalMilliseconds == nil)
        let failing = groups[0].rules[0]
        #expect(failing.kind == .alert("JobFailing"))
        #expect(failing.forMilliseconds == 600_000)
        #expect(failing.expressionText.hasPrefix("sum by (job)"))
        #expect(failing.labels.map(\.name) == ["severity"])
        #expect(
            failing.annotations[0].template.expand(labels: ["job": "extract"], value: 0.25)
                == "extract fails 25% of its tasks")
        #expect(groups[0].rules[1].kind == .record("job:tasks:rate5m"))
        #expect(groups[1].rules[0].expressionText == "jobkit_queue_depth{state=\"queued\"} > 100")
        #expect(groups[1].rules[0].keepFiringForMilliseconds == 300_000)
    }

    /// Golden errors: each names the file, line and column, and says what Prometheus would say.
    @Test func everyProblemIsReportedWithItsPosition() {
        let broken = """
            groups:
              - name: a
                rules:
                  - alert: Bad
                    expr: rate(x)
                  - alert: Outside
                    expr: sum(x)
                      + on(a) 1
                  - record: bad name
                    expr: x
                    for: 5m
                  - alert: Both
                    record: both
                    expr: x
                  - alert: NoExpr
                  - alert: Unknown
                    expr: x
                    severity: page
                  - alert: Template
                    expr: x
                    annotations:
                      summary: "{{ nofunc }}"
              - name: a
                rules: []
            """
        #expect {
            try RuleFile.parse(broken, file: "r.yml")
        } throws: { error in
            guard let error = error as? RuleFileErrors else { return false }
            let expected = [
                #"r.yml:5:20: group "a", rule 1, "Bad": could not parse expression: expected type range vector in call to function "rate", got instant vector"#,
                #"r.yml:8:11: group "a", rule 2, "Outside": could not parse expression: vector matching only allowed between instant vectors"#,
                #"r.yml:11:9: group "a", rule 3, "bad name": invalid field 'for' in recording rule"#,
                #"r.yml:9:17: group "a", rule 3, "bad name": invalid recording rule name: bad name"#,
                #"r.yml:12:9: group "a", rule 4, "Both": only one of 'record' and 'alert' must be set"#,
                #"r.yml:15:9: group "a", rule 5, "NoExpr": field 'expr' must be set in rule"#,
                #"r.yml:18:9: group "a", rule 6, "Unknown": unknown field "severity" in a rule"#,
                #"r.yml:22:11: group "a", rule 7, "Template": annotation "summary": template: __alert_Template:1: function "nofunc" not defined"#,
                #"r.yml:23:5: groupname: "a" is repeated in the same file"#,
            ]
            #expect(error.problems.map(\.description) == expected)
            return error.problems.map(\.description) == expected
        }
    }

    @Test func yamlErrorsHaveAPositionToo() {
        #expect {
            try RuleFile.parse("groups:\n  - name: \"unterminated\n", file: "y.yml")
        } throws: { error in
            (error as? RuleFileErrors)?.description
                == "y.yml:3:1: while scanning a quoted scalar (from 2:11): found unexpected end of stream"
        }
    }

    /// A key given twice is go-yaml's error, reported with the group and rule it is in, beside the rest.
    @Test func aKeyGivenTwiceNamesItsRule() {
        let text = """
            groups:
              - name: g
                rules:
                  - alert: Twice
                    expr: up == 0
                    for: 5m
                    labels: {severity: page, severity: info}
                    for: 10m
                  - alert: Fine
                    expr: up
                    for: 5
            """
        #expect {
            try RuleFile.parse(text, file: "d.yml")
        } throws: { error in
            (error as? RuleFileErrors)?.problems.map(\.description) == [
                #"d.yml:8:9: group "g", rule 1, "Twice": mapping key "for" already defined at line 6"#,
                #"d.yml:7:34: group "g", rule 1, "Twice": labels: mapping key "severity" already defined at line 7"#,
                #"d.yml:11:14: group "g", rule 2, "Fine": "for": not a valid duration string: "5""#,
            ]
        }
    }
}
