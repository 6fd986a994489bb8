import Foundation
import Jobkit
import Testing

/// The hand-written JSON of events says the same as `JSONEncoder` and reads back as the same event.
struct JobEventJSONTests {
    static let events: [JobEvent] = {
        var full = JobEvent(
            kind: .log,
            task: TaskRef(id: TaskID(rawValue: 42), name: "digest \"q\"", jobType: "knowledge", correlationID: "run-1"),
            attempt: 3, worker: "worker-1", duration: 0.000057154, error: "exit status 2\nsecond line",
            level: .warning, message: "naïve ✓ \u{1}\ttab", progress: 0.25, pool: "llm",
            metadata: [
                "stream": "stderr", "n": 7, "ratio": 0.5, "ok": true, "nothing": nil, "list": [1, "two"],
                "nested": ["a": ["b": 1]],
            ])
        full.seq = 1_234_567
        full.time = Date(timeIntervalSince1970: 1_795_625_727.824)
        var minimal = JobEvent(kind: .succeeded)
        minimal.seq = 1
        minimal.time = Date(timeIntervalSince1970: 0.999)
        var old = JobEvent(kind: .queued)
        old.seq = 2
        old.time = Date(timeIntervalSince1970: 951_782_400.5)  // 2000-02-29T00:00:00.500Z
        return [full, minimal, old]
    }()

    @Test(arguments: events)
    func theLineDecodesToTheSameEventAndTheSameJSONAsTheEncoder(event: JobEvent) throws {
        var line: [UInt8] = []
        event.appendJSONLine(to: &line)
        #expect(line.last == UInt8(ascii: "\n"))
        // Times carry milliseconds, so compare with what the encoder's output reads back as.
        let decoded = try JSONDecoder().decode(JobEvent.self, from: Data(line))
        #expect(decoded == (try JSONDecoder().decode(JobEvent.self, from: try JSONEncoder().encode(event))))
        let fast = try JSONSerialization.jsonObject(with: Data(line)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(event)) as? NSDictionary
        #expect(fast == reference)

        // Keys come sorted, as with `.sortedKeys`.
        let keys = String(decoding: line, as: UTF8.self).matches(of: /"([a-z]+)":/).map { String($0.1) }
        let topLevel = keys.filter {
            [
                "attempt", "duration", "error", "job", "kind", "level", "message", "metadata", "name", "pool",
                "progress", "run", "seq", "task", "time", "worker",
            ].contains($0)
        }
        #expect(topLevel.first == topLevel.sorted().first)
    }

    @Test func timesAreRFC3339InUTCWithMilliseconds() {
        var event = JobEvent(kind: .queued)
        event.time = Date(timeIntervalSince1970: 951_782_400.5)
        var line: [UInt8] = []
        event.appendJSONLine(to: &line)
        #expect(String(decoding: line, as: UTF8.self).contains(#""time":"2000-02-29T00:00:00.500Z""#))
    }
}
