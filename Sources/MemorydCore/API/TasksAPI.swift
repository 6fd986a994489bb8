import FoundationEssentials
import Jobkit
import JobkitDaemon

/// `/v1/tasks`: list, inspect, submit and cancel tasks (``RouteTable`` puts each behind its check: reads
/// reveal parameters and errors).
struct TasksAPI: Sendable {
    let scheduler: Scheduler
    let config: ConfigState

    private var pipeline: PipelineRunner? { config.pipeline }

    // MARK: - Handlers

    func list(_ request: HTTPRequest) -> HTTPResponse {
        var tasks = scheduler.tasks()
        if let state = request.query["state"] {
            guard let wanted = TaskState(rawValue: state) else {
                let valid = TaskState.allCases.map(\.rawValue).joined(separator: ", ")
                return .error(400, code: "bad_request", message: "state must be one of \(valid), not '\(state)'")
            }
            tasks = tasks.filter { $0.state == wanted }
        }
        return json(["tasks": tasks.map(TaskResource.init)])
    }

    func show(_ request: HTTPRequest) -> HTTPResponse {
        switch lookup(request) {
        case .failure(let failure): failure.response
        case .success(let status): json(TaskResource(status))
        }
    }

    func submit(_ request: HTTPRequest) -> HTTPResponse {
        struct Submission: Decodable {
            var job: String
            var params: [String: String]?
        }
        let submission: Submission
        do {
            submission = try WireJSON.decode(Submission.self, from: request.body)
        } catch {
            return .error(
                400, code: "bad_request",
                message:
                    #"the body must be JSON like {"job": "NAME", "params": {"KEY": "VALUE"}}: \#(Self.describe(error))"#
            )
        }
        guard let pipeline, pipeline.config.job(submission.job) != nil else {
            let known = pipeline?.config.jobs.map(\.name).joined(separator: ", ") ?? ""
            return .error(
                404, code: "unknown_job",
                message: "no job named '\(submission.job)'"
                    + Suggestion.phrase(for: submission.job, among: pipeline?.config.jobs.map(\.name) ?? [])
                    + (known.isEmpty ? " (no config loaded)" : "; jobs: \(known)"))
        }
        do {
            let run = try pipeline.startRun(of: submission.job, parameters: submission.params ?? [:])
            let tasks = run.tasks.mapValues(\.id.description)
            return json(
                SubmitResponse(id: tasks[submission.job]!, run: run.id, tasks: tasks), status: 201)
        } catch let error as PipelineRunner.DuplicateRun {
            struct Answer: Encodable {
                struct Detail: Encodable { var code: String, message: String, run: String }
                var error: Detail
            }
            return json(
                Answer(error: .init(code: "duplicate_run", message: "\(error); nothing was started", run: error.run)),
                status: 409)
        } catch let error as JobError where error.code == .shutDown {
            return .error(503, code: "shutting_down", message: "the daemon is shutting down and takes no new work")
        } catch let error as SQLiteError where error.isDiskFull {
            return .error(
                507, code: "insufficient_storage",
                message: "the queue cannot record the run: the disk is full (\(error)); nothing was started")
        } catch let error as SQLiteError {
            return .error(
                503, code: "store_unavailable",
                message: "the queue cannot record the run (\(error)); nothing was started, try again")
        } catch {
            return .error(500, code: "internal", message: "could not start the run: \(error)")
        }
    }

    func cancel(_ request: HTTPRequest) -> HTTPResponse {
        switch lookup(request) {
        case .failure(let failure):
            return failure.response
        case .success(let status):
            guard !status.state.isTerminal else {
                return .error(
                    409, code: "already_finished", message: "task \(status.id) already \(status.state.rawValue)")
            }
            _ = try? scheduler.cancel(status.id)
            let current = (try? scheduler.status(of: status.id)) ?? status
            return json(TaskResource(current), status: 202)
        }
    }

    // MARK: - Helpers

    private func lookup(_ request: HTTPRequest) -> Result<TaskStatus, HTTPResponseError> {
        let text = request.pathParameters["id"] ?? ""
        let digits = text.hasPrefix("t") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .failure(
                HTTPResponseError(.error(400, code: "bad_request", message: "'\(text)' is not a task id like t42")))
        }
        guard let id = TaskID(text) else {
            // A well-formed id beyond any the daemon hands out.
            return .failure(HTTPResponseError(.error(404, code: "unknown_task", message: "no task \(text)")))
        }
        do {
            return .success(try scheduler.status(of: id))
        } catch {
            return .failure(HTTPResponseError(.error(404, code: "unknown_task", message: "no task \(text)")))
        }
    }

    private func json<Value: Encodable>(_ value: Value, status: Int = 200) -> HTTPResponse {
        .encoded(value, status: status)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context):
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "\(error)"
        }
    }

    private struct SubmitResponse: Encodable {
        var id: String
        var run: String
        var tasks: [String: String]
    }
}

/// An error response carried through `Result`.
struct HTTPResponseError: Error {
    let response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
