import JobkitHealth
import Testing

/// Every function, operator and aggregation on a small data set at fixed times, each figure worked
/// out by hand from Prometheus 2.42's definitions.
struct PromQLFunctionTests {
    enum Expected: Sendable {
        case scalar(Double)
        /// In any order.
        case vector([Labels: Double])
        /// In this order.
        case ordered([(Labels, Double)])
        case failure
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var expression: String
        /// Seconds since the epoch.
        var time: Int64 = 240
        var expected: Expected
        var testDescription: String { expression }
    }

    /// At 0, 60, 120, 180 and 240 s: a counter that resets, two gauges, an info series, a histogram.
    static let store: SeriesStore = {
        let store = SeriesStore(retentionMilliseconds: Int64.max / 4)
        let data: [(Labels, [Double])] = [
            (["__name__": "c", "job": "a"], [0, 60, 120, 30, 90]),
            (["__name__": "g", "job": "a"], [1, 3, 2, 5, 4]),
            (["__name__": "g", "job": "b"], [10, 10, 10, 10, 20]),
            (["__name__": "info", "job": "a", "team": "x"], [1, 1, 1, 1, 1]),
            (["__name__": "h_bucket", "le": "1"], [5, 5, 5, 5, 5]),
            (["__name__": "h_bucket", "le": "2"], [10, 10, 10, 10, 10]),
            (["__name__": "h_bucket", "le": "+Inf"], [10, 10, 10, 10, 10]),
        ]
        for (labels, values) in data {
            for (index, value) in values.enumerated() {
                store.append(LabelSet(labels), SamplePoint(time: Int64(index) * 60_000, value: value))
            }
        }
        return store
    }()

    static let a: Labels = ["job": "a"]
    static let b: Labels = ["job": "b"]
    static let ga: Labels = ["__name__": "g", "job": "a"]
    static let gb: Labels = ["__name__": "g", "job": "b"]
    static let pi = Double.pi
    /// 2023-11-14T22:13:20Z, a Tuesday, day 318 of the year.
    static let date = "vector(1700000000)"

    static let functions: [Case] = [
        Case(expression: "rate(c[4m])", expected: .vector([a: 210.0 / 240])),
        Case(expression: "increase(c[4m])", expected: .vector([a: 210])),
        Case(expression: "delta(g[4m])", expected: .vector([a: 3, b: 10])),
        Case(expression: "irate(c[4m])", expected: .vector([a: 1])),
        Case(expression: "idelta(g[4m])", expected: .vector([a: -1, b: 10])),
        Case(expression: "changes(g[4m])", expected: .vector([a: 4, b: 1])),
        Case(expression: "resets(c[4m])", expected: .vector([a: 1])),
        Case(expression: #"deriv(g{job="b"}[4m])"#, expected: .vector([b: 1.0 / 30])),
        Case(expression: #"predict_linear(g{job="b"}[4m], 60)"#, expected: .vector([b: 18])),
        Case(expression: #"holt_winters(g{job="b"}[4m], 0.5, 0.5)"#, expected: .vector([b: 15])),
        Case(expression: #"holt_winters(g{job="b"}[4m], 1, 0.5)"#, expected: .failure),
        Case(expression: "avg_over_time(g[4m])", expected: .vector([a: 3, b: 12])),
        Case(expression: "sum_over_time(g[4m])", expected: .vector([a: 15, b: 60])),
        Case(expression: "count_over_time(g[4m])", expected: .vector([a: 5, b: 5])),
        Case(expression: "min_over_time(g[4m])", expected: .vector([a: 1, b: 10])),
        Case(expression: "max_over_time(g[4m])", expected: .vector([a: 5, b: 20])),
        Case(expression: "last_over_time(g[4m])", expected: .vector([ga: 4, gb: 20])),
        Case(expression: "present_over_time(g[4m])", expected: .vector([a: 1, b: 1])),
        Case(expression: "quantile_over_time(0.5, g[4m])", expected: .vector([a: 3, b: 10])),
        Case(expression: #"stddev_over_time(g{job="a"}[4m])"#, expected: .vector([a: 2.0.squareRoot()])),
        Case(expression: #"stdvar_over_time(g{job="a"}[4m])"#, expected: .vector([a: 2])),
        Case(expression: #"absent_over_time(nope{job="x"}[4m])"#, expected: .vector([["job": "x"]: 1])),
        Case(expression: "absent_over_time(g[4m])", expected: .vector([:])),
        Case(expression: #"absent(nope{job="x", team=~"y"})"#, expected: .vector([["job": "x"]: 1])),
        Case(expression: "absent(g)", expected: .vector([:])),
        Case(expression: "abs(g - 5)", expected: .vector([a: 1, b: 15])),
        Case(expression: "ceil(g / 3)", expected: .vector([a: 2, b: 7])),
        Case(expression: "floor(g / 3)", expected: .vector([a: 1, b: 6])),
        Case(expression: #"exp(g{job="a"} - 4)"#, expected: .vector([a: 1])),
        Case(expression: #"ln(g{job="a"})"#, expected: .vector([a: 1.3862943611198906])),
        Case(expression: #"log2(g{job="a"})"#, expected: .vector([a: 2])),
        Case(expression: #"log10(g{job="b"})"#, expected: .vector([b: 1.3010299956639813])),
        Case(expression: #"sqrt(g{job="a"})"#, expected: .vector([a: 2])),
        Case(expression: "sgn(g - 10)", expected: .vector([a: -1, b: 1])),
        Case(expression: #"sin(g{job="a"} - 4)"#, expected: .vector([a: 0])),
        Case(expression: #"cos(g{job="a"} - 4)"#, expected: .vector([a: 1])),
        Case(expression: #"tan(g{job="a"} - 4)"#, expected: .vector([a: 0])),
        Case(expression: #"asin(g{job="a"} - 3)"#, expected: .vector([a: pi / 2])),
        Case(expression: #"acos(g{job="a"} - 3)"#, expected: .vector([a: 0])),
        Case(expression: #"atan(g{job="a"} - 3)"#, expected: .vector([a: pi / 4])),
        Case(expression: #"sinh(g{job="a"} - 4)"#, expected: .vector([a: 0])),
        Case(expression: #"cosh(g{job="a"} - 4)"#, expected: .vector([a: 1])),
        Case(expression: #"tanh(g{job="a"} - 4)"#, expected: .vector([a: 0])),
        Case(expression: #"asinh(g{job="a"} - 4)"#, expected: .vector([a: 0])),
        Case(expression: #"acosh(g{job="a"} - 3)"#, expected: .vector([a: 0])),
        Case(expression: #"atanh(g{job="a"} - 4)"#, expected: .vector([a: 0])),
        Case(expression: #"deg(g{job="a"} * 0 + pi())"#, expected: .vector([a: 180])),
        Case(expression: #"rad(g{job="a"} * 45)"#, expected: .vector([a: pi])),
        Case(expression: "pi()", expected: .scalar(pi)),
        Case(expression: "round(g / 3)", expected: .vector([a: 1, b: 7])),
        Case(expression: #"round(g{job="a"} / 3, 0.5)"#, expected: .vector([a: 1.5])),
        Case(expression: "clamp(g, 5, 15)", expected: .vector([a: 5, b: 15])),
        Case(expression: "clamp(g, 15, 5)", expected: .vector([:])),
        Case(expression: "clamp_max(g, 10)", expected: .vector([a: 4, b: 10])),
        Case(expression: "clamp_min(g, 10)", expected: .vector([a: 10, b: 20])),
        Case(expression: #"scalar(g{job="a"})"#, expected: .scalar(4)),
        Case(expression: "scalar(g)", expected: .scalar(.nan)),
        Case(expression: "vector(7)", expected: .vector([[:]: 7])),
        Case(expression: "time()", time: 250, expected: .scalar(250)),
        Case(expression: #"timestamp(g{job="a"})"#, time: 250, expected: .vector([a: 240])),
        Case(expression: #"timestamp(g{job="a"} * 1)"#, time: 250, expected: .vector([a: 250])),
        Case(expression: "sort(g)", expected: .ordered([(ga, 4), (gb, 20)])),
        Case(expression: "sort_desc(g)", expected: .ordered([(gb, 20), (ga, 4)])),
        Case(
            expression: #"label_replace(g, "team", "t-$1", "job", "(.*)")"#,
            expected: .vector([ga.merging(["team": "t-a"]) { $1 }: 4, gb.merging(["team": "t-b"]) { $1 }: 20])),
        Case(expression: #"label_replace(g, "job", "", "job", ".*")"#, expected: .failure),
        Case(
            expression: #"label_join(g{job="a"}, "both", "-", "job", "job")"#,
            expected: .vector([ga.merging(["both": "a-a"]) { $1 }: 4])),
        Case(expression: "histogram_quantile(0.75, h_bucket)", expected: .vector([[:]: 1.5])),
        Case(expression: "histogram_quantile(2, h_bucket)", expected: .vector([[:]: .infinity])),
        Case(expression: "year(\(date))", expected: .vector([[:]: 2023])),
        Case(expression: "year()", expected: .vector([[:]: 1970])),
        Case(expression: "month(\(date))", expected: .vector([[:]: 11])),
        Case(expression: "day_of_month(\(date))", expected: .vector([[:]: 14])),
        Case(expression: "day_of_week(\(date))", expected: .vector([[:]: 2])),
        Case(expression: "day_of_year(\(date))", expected: .vector([[:]: 318])),
        Case(expression: "days_in_month(\(date))", expected: .vector([[:]: 30])),
        Case(expression: "hour(\(date))", expected: .vector([[:]: 22])),
        Case(expression: "minute(\(date))", expected: .vector([[:]: 13])),
    ]

    static let operators: [Case] = [
        Case(expression: "g + 1", expected: .vector([a: 5, b: 21])),
        Case(expression: "1 - g", expected: .vector([a: -3, b: -19])),
        Case(expression: "g * 2", expected: .vector([a: 8, b: 40])),
        Case(expression: "g / 2", expected: .vector([a: 2, b: 10])),
        Case(expression: "g % 3", expected: .vector([a: 1, b: 2])),
        Case(expression: "g ^ 2", expected: .vector([a: 16, b: 400])),
        Case(expression: "2 ^ 3 ^ 2", expected: .scalar(512)),
        Case(expression: "-2 ^ 2", expected: .scalar(-4)),
        Case(expression: #"g{job="a"} atan2 0"#, expected: .vector([ga: pi / 2])),
        Case(expression: "g == 4", expected: .vector([ga: 4])),
        Case(expression: "g != 4", expected: .vector([gb: 20])),
        Case(expression: "g > 5", expected: .vector([gb: 20])),
        Case(expression: "5 > g", expected: .vector([ga: 4])),
        Case(expression: "g < 5", expected: .vector([ga: 4])),
        Case(expression: "g >= 20", expected: .vector([gb: 20])),
        Case(expression: "g <= 4", expected: .vector([ga: 4])),
        Case(expression: "g > bool 5", expected: .vector([a: 0, b: 1])),
        Case(expression: "1 < bool 2", expected: .scalar(1)),
        Case(expression: "g and c", expected: .vector([ga: 4])),
        Case(expression: #"c or g{job="b"}"#, expected: .vector([["__name__": "c", "job": "a"]: 90, gb: 20])),
        Case(expression: "g unless c", expected: .vector([gb: 20])),
        Case(expression: "g unless on () c", expected: .vector([:])),
        Case(expression: "g - on (job) c", expected: .vector([a: -86])),
        Case(expression: "g - ignoring (job) c", expected: .failure),
        Case(expression: "c * on (job) group_left (team) info", expected: .vector([["job": "a", "team": "x"]: 90])),
        Case(expression: "info * on (job) group_right (team) c", expected: .vector([["job": "a", "team": "x"]: 90])),
        Case(expression: "g + on () g", expected: .failure),
        Case(expression: "-g", expected: .vector([a: -4, b: -20])),
        Case(expression: "g offset 1m", expected: .vector([ga: 5, gb: 10])),
        Case(expression: "g @ 60", expected: .vector([ga: 3, gb: 10])),
        Case(expression: "g @ start()", time: 60, expected: .vector([ga: 3, gb: 10])),
        Case(expression: "max_over_time(g[2m:1m])", expected: .vector([a: 5, b: 20])),
        Case(expression: #"sum_over_time(g{job="a"}[2m:1m] offset 1m)"#, expected: .vector([a: 10])),
    ]

    static let aggregations: [Case] = [
        Case(expression: "sum(g)", expected: .vector([[:]: 24])),
        Case(expression: "SUM BY (job) (g)", expected: .vector([a: 4, b: 20])),
        Case(expression: "sum without (job) (g)", expected: .vector([[:]: 24])),
        Case(expression: "avg(g)", expected: .vector([[:]: 12])),
        Case(expression: "min(g)", expected: .vector([[:]: 4])),
        Case(expression: "max(g)", expected: .vector([[:]: 20])),
        Case(expression: "count(g)", expected: .vector([[:]: 2])),
        Case(expression: "group(g)", expected: .vector([[:]: 1])),
        Case(expression: "stddev(g)", expected: .vector([[:]: 8])),
        Case(expression: "stdvar(g)", expected: .vector([[:]: 64])),
        Case(expression: "topk(1, g)", expected: .ordered([(gb, 20)])),
        Case(expression: "bottomk(1, g)", expected: .ordered([(ga, 4)])),
        Case(expression: "topk(5, g)", expected: .ordered([(gb, 20), (ga, 4)])),
        Case(expression: "quantile(0.5, g)", expected: .vector([[:]: 12])),
        Case(expression: #"count_values("v", g)"#, expected: .vector([["v": "4"]: 1, ["v": "20"]: 1])),
    ]

    @Test(arguments: functions + operators + aggregations)
    func evaluatesAsPrometheus(_ test: Case) throws {
        let evaluator = PromQLEvaluator(source: Self.store)
        let expression = try PromQLParser.parse(test.expression)
        if case .failure = test.expected {
            #expect(throws: PromQLEvaluationError.self) { try evaluator.evaluate(expression, at: test.time * 1000) }
            return
        }
        let result = try evaluator.evaluate(expression, at: test.time * 1000)
        switch (test.expected, result) {
        case (.scalar(let wanted), .scalar(let value)):
            #expect(Self.close(wanted, value), "\(value) is not \(wanted)")
        case (.vector(let wanted), .vector(let samples)):
            #expect(samples.count == wanted.count, "\(samples)")
            for sample in samples {
                #expect(wanted[sample.labels].map { Self.close($0, sample.value) } ?? false, "unexpected \(sample)")
            }
        case (.ordered(let wanted), .vector(let samples)):
            #expect(samples.map(\.labels) == wanted.map(\.0))
            #expect(zip(samples, wanted).allSatisfy { Self.close($1.1, $0.value) }, "\(samples)")
        default:
            Issue.record("\(test.expression) gave \(result)")
        }
    }

    static func close(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return a == b || Swift.abs(a - b) <= 1e-9 * Swift.max(Swift.abs(a), Swift.abs(b))
    }

    /// The tables above name every function, operator and aggregation, so a new one comes with a case.
    @Test func everyFunctionOperatorAndAggregationHasACase() {
        let texts = (Self.functions + Self.operators + Self.aggregations).map { $0.expression.lowercased() }
        for function in PromQLFunction.allCases {
            #expect(texts.contains { $0.contains(function.rawValue + "(") }, "no case for \(function.rawValue)")
        }
        for op in AggregateOperator.allCases {
            #expect(texts.contains { $0.hasPrefix(op.rawValue) }, "no case for \(op.rawValue)")
        }
        for op in ["+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless"] {
            #expect(texts.contains { $0.contains(" \(op) ") }, "no case for \(op)")
        }
    }
}
