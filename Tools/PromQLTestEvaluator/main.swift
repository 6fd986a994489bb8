// An instant-query evaluator over given series, for scripts/promql-conformance: one JSON case per
// line on stdin, `{"series": [{"labels": {…}, "points": [[ms, "value"], …]}], "query": "…", "time": ms}`,
// one JSON answer per line on stdout: `{"scalar": "v"}`, `{"vector": [{"labels": {…}, "value": "v"}]}`
// or `{"error": "…"}`. Values are strings so NaN and ±Inf survive.
import FoundationEssentials
import JobkitHealth

#if canImport(Glibc)
    import Glibc
#endif

struct Case: Decodable {
    struct Series: Decodable {
        var labels: [String: String]
        var points: [[Point]]
    }
    enum Point: Decodable {
        case time(Int64)
        case value(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let time = try? container.decode(Int64.self) { self = .time(time) } else {
                self = .value(try container.decode(String.self))
            }
        }
    }
    var series: [Series]
    var query: String
    var time: Int64
}

struct Answer: Encodable {
    struct Sample: Encodable {
        var labels: [String: String]
        var value: String
    }
    var scalar: String?
    var vector: [Sample]?
    var error: String?
}

func text(_ value: Double) -> String {
    value.isNaN ? "NaN" : value.isInfinite ? (value < 0 ? "-Inf" : "+Inf") : "\(value)"
}

func answer(_ line: String) -> Answer {
    guard let input = try? JSONDecoder().decode(Case.self, from: Data(line.utf8)) else {
        return Answer(error: "bad case")
    }
    // Retention reaches back past any case's data; the cases are at most days long.
    let store = SeriesStore(retentionMilliseconds: Int64.max / 4)
    for series in input.series {
        let labels = LabelSet(series.labels)
        for point in series.points {
            guard point.count == 2, case .time(let time) = point[0], case .value(let value) = point[1] else { continue }
            let number: Double =
                switch value {
                case "NaN": .nan
                case "+Inf", "Inf": .infinity
                case "-Inf": -.infinity
                case "stale": SamplePoint.staleValue
                default: Double(value) ?? .nan
                }
            store.append(labels, SamplePoint(time: time, value: number))
        }
    }
    do {
        let expression = try PromQLParser.parse(input.query)
        switch try PromQLEvaluator(source: store).evaluate(expression, at: input.time) {
        case .scalar(let value): return Answer(scalar: text(value))
        case .vector(let samples):
            return Answer(vector: samples.map { Answer.Sample(labels: $0.labels, value: text($0.value)) })
        }
    } catch {
        return Answer(error: "\(error)")
    }
}

enum StandardOutput {
    static func writeLine(_ bytes: [UInt8]) {
        let line = bytes + [10]
        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}

let encoder = JSONEncoder()
while let line = readLine() {
    let data = (try? encoder.encode(answer(line))) ?? Data(#"{"error":"encoding"}"#.utf8)
    // Written at once, unbuffered: the runner waits for each answer before the next case.
    StandardOutput.writeLine(Array(data))
}
