import FoundationEssentials
import Jobkit
import JobkitDaemon

/// `GET /v1/tasks/{id}/log`: what a task's attempts wrote (stdout, stderr) and logged, as the queue
/// keeps it across restarts: one JSON object per line, a `dropped` line where the bound cut lines out.
struct TaskLogAPI: Sendable {
    let store: TaskStore

    /// One kept line.
    struct Line: Encodable {
        let attempt: Int
        let line: Int
        let time: Date
        let stream: String
        let level: String
        let text: String
    }

    /// Where lines of an attempt were dropped: `dropped` of them after line `after`.
    struct Gap: Encodable {
        let attempt: Int
        let after: Int
        let dropped: Int
    }

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        let id: TaskID
        switch TasksAPI.taskID(request) {
        case .failure(let failure): return failure.response
        case .success(let parsed): id = parsed
        }
        var attempt: Int?
        if let text = request.query["attempt"] {
            guard let number = Int(text), number >= 1 else {
                return .error(400, code: "bad_request", message: "attempt must be a number from 1, not '\(text)'")
            }
            attempt = number
        }
        let lines: [StoredLine]
        do {
            guard let stored = try store.output(of: Int64(id.rawValue), attempt: attempt) else {
                return .error(
                    404, code: "unknown_task",
                    message:
                        "no task \(id) in the queue (the queue keeps the tasks of submitted jobs, not housekeeping)")
            }
            lines = stored
        } catch {
            return .error(503, code: "queue_unavailable", message: "could not read the queue: \(error)")
        }
        return HTTPResponse(status: 200, contentType: "application/x-ndjson", body: Self.render(lines))
    }

    /// `lines` as NDJSON, with a gap line before each line that does not follow the one before it.
    static func render(_ lines: [StoredLine]) -> [UInt8] {
        let encoder = WireJSON.encoder()
        var body: [UInt8] = []
        var previous: (attempt: Int, line: Int)?
        func append(_ value: some Encodable) {
            // These shapes hold strings, numbers and a date: they always encode.
            guard let data = try? encoder.encode(value) else { return }
            body += data
            body.append(UInt8(ascii: "\n"))
        }
        for line in lines {
            let expected = previous.map { $0.attempt == line.attempt ? $0.line + 1 : 1 } ?? 1
            if line.line > expected {
                append(Gap(attempt: line.attempt, after: expected - 1, dropped: line.line - expected))
            }
            append(
                Line(
                    attempt: line.attempt, line: line.line, time: Date(timeIntervalSince1970: line.time),
                    stream: line.stream, level: line.level, text: line.text))
            previous = (line.attempt, line.line)
        }
        return body
    }
}
