import FuzzSupport
import JobkitHealth

/// A few series for parsed expressions to read: a counter with a reset, a gauge, a histogram.
let store: SeriesStore = {
    let store = SeriesStore(retentionMilliseconds: Int64.max / 4)
    let series: [([String: String], [Double])] = [
        (["__name__": "c", "job": "a"], [0, 5, 2, 9]),
        (["__name__": "g", "job": "b"], [1, .nan, -.infinity, 3]),
        (["__name__": "h_bucket", "le": "1"], [1, 2, 3, 4]),
        (["__name__": "h_bucket", "le": "+Inf"], [2, 4, 6, 8]),
    ]
    for (labels, values) in series {
        for (index, value) in values.enumerated() {
            store.append(LabelSet(labels), SamplePoint(time: Int64(index) * 15_000, value: value))
        }
    }
    return store
}()

/// The evaluation's sample allowance: small, so that a tiny subquery step over years ends at once.
let maximumSamples = 10_000

/// Any text given to the PromQL parser: a parsed expression or a PromQLError, never a crash; what
/// parses is evaluated, giving a value or a PromQLEvaluationError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPromQL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let expression = try? PromQLParser.parse(text(data, size)) else { return 0 }
    let evaluator = PromQLEvaluator(source: store, maximumSamples: maximumSamples)
    _ = try? evaluator.evaluate(expression, at: 45_000)
    return 0
}

runFuzzer(fuzzPromQL)
