import FoundationEssentials
import Jobkit
import JobkitDaemon

/// `/v1/tasks`: list, inspect, submit and cancel tasks (``RouteTable`` puts each behind its check: reads
/// reveal parameters and errors).
struct TasksAPI: Sendable {
    let scheduler: Scheduler
    let config: ConfigState

    var pipeline: PipelineRunner? { config.pipeline }

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
        let submission: SubmitBody
        do {
            submission = try WireJSON.decode(SubmitBody.self, from: request.body)
        } catch {
            return .error(
                400, code: "bad_request",
                message: "the body must be JSON like \(SubmitBody.example): \(Self.describe(error))")
        }
        guard let pipeline, pipeline.config.job(submission.job) != nil else {
            return .error(404, code: "unknown_job", message: unknownJobMessage(submission.job))
        }
        // Answered once the run is durable, without holding an HTTP thread while the commit waits.
        let wanted = PipelineRunner.Submission(job: submission.job, parameters: submission.params ?? [:])
        return .deferred { responder in
            pipeline.startRuns([wanted]) { started in
                responder.respond {
                    do {
                        return .json(Started(wanted.job, try started()[0].get()).body, status: 201)
                    } catch {
                        let refusal = SubmitRefusal(error)
                        return json(["error": refusal], status: refusal.status)
                    }
                }
            }
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
        TasksAPI.taskID(request).flatMap { id in
            do {
                return .success(try scheduler.status(of: id))
            } catch {
                return .failure(HTTPResponseError(.error(404, code: "unknown_task", message: "no task \(id)")))
            }
        }
    }

    /// The `{id}` of `request`'s path: 400 when it is not like `t42`, 404 when beyond any id.
    static func taskID(_ request: HTTPRequest) -> Result<TaskID, HTTPResponseError> {
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
        return .success(id)
    }

    /// Why a submission of `job`, which the config does not have, is refused.
    func unknownJobMessage(_ job: String) -> String {
        let names = pipeline?.config.jobs.map(\.name) ?? []
        return "no job named '\(job)'" + Suggestion.phrase(for: job, among: names)
            + (names.isEmpty ? " (no config loaded)" : "; jobs: \(names.joined(separator: ", "))")
    }

    func json<Value: Encodable>(_ value: Value, status: Int = 200) -> HTTPResponse {
        .encoded(value, status: status)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context):
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "\(error)"
        }
    }
}

/// An error response carried through `Result`.
struct HTTPResponseError: Error {
    let response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
