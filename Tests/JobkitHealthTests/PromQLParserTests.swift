import JobkitHealth
import Testing

/// Expressions outside the subset, or wrong, are refused with a message and the offending position.
struct PromQLParserTests {
    @Test(arguments: [
        ("rate(x)", "expected type range vector in call to function \"rate\", got instant vector", 5),
        ("topk(3, x)", "the aggregation 'topk' is outside memoryd's PromQL subset", 0),
        ("x offset 5m", "'offset' is outside memoryd's PromQL subset", 2),
        ("1 > 2", "comparisons between scalars must use BOOL modifier", 2),
        ("a and b", "the operator 'and' is outside memoryd's PromQL subset", 2),
        ("label_replace(x, \"a\", \"b\", \"c\", \"d\")", "the function 'label_replace' is outside", 0),
        ("x{job=\"a\"", "expected '}', found the end of the expression", 9),
        ("{job=\"\"}", "vector selector must contain at least one non-empty matcher", 0),
        ("x[5m:1m]", "a subquery is outside", 0),
        ("sum(x) + rate(y[5x])", "bad duration", 16),
        // Found by the PromQL fuzzer: this overflowed Int64 milliseconds and crashed the daemon.
        ("rate(x[3777777777777w])", "bad duration", 7),
        ("rate(x[200000000y7000000000000000000ms])", "bad duration", 7),
        // Found by the PromQL fuzzer: nesting this deep overflowed the stack.
        (String(repeating: "(", count: 10_000) + "x", "expression nested deeper than 128 levels", 128),
        (String(repeating: "-", count: 10_000) + "x", "expression nested deeper than 128 levels", 128),
        ("a / on(job) group_left b", "many-to-one matching ('group_left') is outside", 12),
        ("x{a=~\"(\"}", "bad regular expression", 2),
    ])
    func refusedWithAMessageAndPosition(expression: String, message: String, offset: Int) {
        #expect {
            try PromQLParser.parse(expression)
        } throws: { error in
            guard let error = error as? PromQLError else { return false }
            return error.message.contains(message) && error.offset == offset
        }
    }

    @Test func theSubsetParses() throws {
        let expressions = [
            #"sum by (job) (rate(jobkit_tasks_total{outcome="failure"}[5m])) / sum by (job) (rate(jobkit_tasks_total[5m])) > 0.1"#,
            #"histogram_quantile(0.99, sum by (le, job) (rate(jobkit_task_duration_seconds_bucket[5m])))"#,
            "jobkit_queue_depth{state=\"queued\"} > 100",
            "absent(up{job=\"memoryd\"})",
            "time() - max(x) > 3600",
            "avg without (worker) (rate(busy_seconds_total[1h30m])) * 100 >= bool 90",
        ]
        for text in expressions { _ = try PromQLParser.parse(text) }
        #expect(
            try PromQLParser.parse("rate(a[1h30m]) + rate(b[5m])").longestRangeMilliseconds == 5_400_000)
    }
}
