import JobkitHealth
import Testing

/// Expressions Prometheus refuses are refused with its message and the offending position.
struct PromQLParserTests {
    @Test(arguments: [
        ("rate(x)", "expected type range vector in call to function \"rate\", got instant vector", 5),
        ("1 > 2", "comparisons between scalars must use BOOL modifier", 2),
        ("1 and 2", "set operator \"and\" not allowed in binary scalar expression", 2),
        ("x{job=\"a\"", "expected '}', found the end of the expression", 9),
        ("{job=\"\"}", "vector selector must contain at least one non-empty matcher", 0),
        ("x{__name__=\"y\"}", "metric name must not be set twice", 2),
        ("sum(x) + rate(y[5x])", "bad duration", 16),
        ("x offset 5m offset 1m", "offset may not be set multiple times", 12),
        ("x @ 1 @ 2", "@ <timestamp> may not be set multiple times", 6),
        ("rate(x[5m]) offset 1m", "offset and @ modifiers must be preceded by", 12),
        ("sum(x)[5m]", "ranges only allowed for vector selectors", 6),
        ("x[5m][10m:1m]", "subquery is only allowed on instant vector, got range vector", 5),
        ("topk(x)", "wrong number of arguments for aggregate expression provided, expected 2, got 1", 0),
        ("sum(1, x)", "wrong number of arguments for aggregate expression provided, expected 1, got 2", 0),
        ("count_values(1, x)", "expected type string in aggregation parameter, got scalar", 0),
        ("a + on(x) group_left(x) b", "label \"x\" must not occur in ON and GROUP clause at once", 10),
        ("a and on(x) group_left b", "no grouping allowed for \"and\" operation", 12),
        ("a + bool b", "bool modifier can only be used on comparison operators", 4),
        ("1 + on(x) 2", "vector matching only allowed between instant vectors", 2),
        ("nope(x)", "unknown function with name \"nope\"", 0),
        ("label_join(x, \"a\")", "expected 4 argument(s) in call to \"label_join\", got 2", 0),
        ("round(x, 1, 2)", "expected 2 argument(s) in call to \"round\", got 3", 0),
        ("-x[5m]", "unary expression only allowed on expressions of type scalar or instant vector", 0),
        ("x @ start", "expected '('", 9),
        ("\"a\\qb\"", "unknown escape sequence", 2),
        // Found by the PromQL fuzzer: this overflowed Int64 milliseconds and crashed the daemon.
        ("rate(x[3777777777777w])", "bad duration", 7),
        ("rate(x[200000000y7000000000000000000ms])", "bad duration", 7),
        // Found by the PromQL fuzzer: nesting this deep overflowed the stack.
        (String(repeating: "(", count: 10_000) + "x", "expression nested deeper than 128 levels", 128),
        (String(repeating: "-", count: 10_000) + "x", "expression nested deeper than 128 levels", 64),
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

    @Test func theLanguageParses() throws {
        let expressions = [
            #"sum by (job) (rate(jobkit_tasks_total{outcome="failure"}[5m])) / sum by (job) (rate(jobkit_tasks_total[5m])) > 0.1"#,
            #"histogram_quantile(0.99, sum by (le, job) (rate(jobkit_task_duration_seconds_bucket[5m])))"#,
            "absent(up{job=\"memoryd\"}) or vector(0)",
            "time() - max(x) > 3600",
            "avg without (worker) (rate(busy_seconds_total[1h30m])) * 100 >= bool 90",
            "topk(3, x) and on (job) group(y) unless z",
            "a * on (job) group_left (team) b",
            "SUM BY (job) (x) AND ignoring(instance) y OFFSET 5m",
            "max_over_time(rate(x[5m])[1h:] @ end())",
            "x offset -5m @ 1.5",
            #"label_replace(x, "dst", "$1", "src", "(.*)") atan2 y"#,
            "count_values('value', x) + 0x1F - 1e3 + .5 + Inf - NaN",
            "`raw \\ string`",
        ]
        for text in expressions { _ = try PromQLParser.parse(text) }
    }

    @Test func precedenceAndAssociativityAreThoseOfPrometheus() throws {
        func shape(_ text: String) throws -> String { try Self.shape(PromQLParser.parse(text)) }
        #expect(try shape("a or b and c unless d") == "(a or ((b and c) unless d))")
        #expect(try shape("a + b * c ^ d ^ e") == "(a + (b * (c ^ (d ^ e))))")
        #expect(try shape("a - b - c") == "((a - b) - c)")
        #expect(try shape("-a * b") == "(-a * b)")
        #expect(try shape("-a ^ b") == "-(a ^ b)")
        #expect(try shape("a > b + c") == "(a > (b + c))")
        #expect(try shape("a atan2 b * c") == "((a atan2 b) * c)")
    }

    /// The expression with every binary operation in parentheses.
    static func shape(_ expression: PromQLExpression) -> String {
        switch expression {
        case .selector(let selector): selector.metricName ?? "?"
        case .binary(let binary): "(\(shape(binary.left)) \(binary.op.rawValue) \(shape(binary.right)))"
        case .negate(let inner): "-" + shape(inner)
        case .parenthesized(let inner): shape(inner)
        default: "?"
        }
    }

    @Test func reachCountsRangesOffsetsSubqueriesAndLookback() throws {
        let lookback = PromQLEvaluator.defaultLookbackMilliseconds
        #expect(try PromQLParser.parse("rate(a[1h30m]) + rate(b[5m])").reach(lookback: lookback) == 5_400_000)
        #expect(try PromQLParser.parse("x offset 10m").reach(lookback: lookback) == 900_000)
        #expect(
            try PromQLParser.parse("max_over_time(rate(x[5m])[1h:1m] offset 10m)").reach(lookback: lookback)
                == 4_500_000)
    }
}
