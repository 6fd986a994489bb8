import FoundationEssentials
import Jobkit
import JobkitDaemon
import JobkitSupport

/// `POST /v1/tasks:batch` and the wire shapes it shares with `POST /v1/tasks`.
extension TasksAPI {
    /// The body of a submit, and one line of a batch.
    struct SubmitBody: Decodable {
        static let example = #"{"job": "NAME", "params": {"KEY": "VALUE"}}"#
        var job: String
        var params: [String: String]?
    }

    /// A started run as the API answers it: the triggered job's task, the run, and every task of the run.
    struct Started: Encodable {
        var id: String
        var run: String
        var tasks: [String: String]

        init(_ job: String, _ run: PipelineRunner.Run) {
            self.init(id: run.tasks[job]!.id.description, run: run.id, tasks: run.tasks.mapValues(\.id.description))
        }

        init(id: String, run: String, tasks: [String: String]) {
            self.id = id
            self.run = run
            self.tasks = tasks
        }

        /// The answer's body as ``WireJSON`` would encode it (sorted keys, a newline after), written by
        /// hand: JSONEncoder took a tenth of an HTTP thread's time per submit.
        var body: [UInt8] {
            var bytes = Array(#"{"id":"#.utf8)
            JSONText.appendString(id, to: &bytes)
            bytes += #","run":"#.utf8
            JSONText.appendString(run, to: &bytes)
            bytes += #","tasks":{"#.utf8
            for (index, task) in tasks.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONText.appendString(task.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                JSONText.appendString(task.value, to: &bytes)
            }
            bytes += "}}\n".utf8
            return bytes
        }
    }

    /// Why a submission was not started: the response's status and its `error` object.
    struct SubmitRefusal: Encodable {
        let status: Int
        let code: String
        let message: String
        /// The equal run, for `duplicate_run`.
        let run: String?

        private enum CodingKeys: String, CodingKey { case code, message, run }

        init(_ error: any Error) {
            switch error {
            case let error as PipelineRunner.DuplicateRun:
                (status, code, run) = (409, "duplicate_run", error.run)
                message = "\(error); nothing was started"
            case let error as JobError where error.code == .shutDown:
                (status, code, run) = (503, "shutting_down", nil)
                message = "the daemon is shutting down and takes no new work"
            case let error as SQLiteError where error.isDiskFull:
                (status, code, run) = (507, "insufficient_storage", nil)
                message = "the queue cannot record the run: the disk is full (\(error)); nothing was started"
            case let error as SQLiteError:
                (status, code, run) = (503, "store_unavailable", nil)
                message = "the queue cannot record the run (\(error)); nothing was started, try again"
            default:
                (status, code, run) = (500, "internal", nil)
                message = "could not start the run: \(error)"
            }
        }
    }

    /// A batch refused as a whole because of one line: the API's error shape with the line's number.
    private func refuseBatch(_ status: Int, code: String, line: Int, message: String) -> HTTPResponse {
        struct Detail: Encodable { var code: String, message: String, line: Int }
        return json(["error": Detail(code: code, message: message, line: line)], status: status)
    }

    /// One line of a batch's answer: the submission's status and its run, or why it was refused.
    private struct BatchLine: Encodable {
        var status: Int
        var id: String?
        var run: String?
        var tasks: [String: String]?
        var error: SubmitRefusal?

        init(job: String, _ result: Result<PipelineRunner.Run, any Error>) {
            switch result {
            case .success(let run):
                let started = Started(job, run)
                (status, id, self.run, tasks) = (201, started.id, started.run, started.tasks)
            case .failure(let failure):
                let refusal = SubmitRefusal(failure)
                (status, error) = (refusal.status, refusal)
            }
        }
    }

    /// `POST /v1/tasks:batch`: one submission per line (NDJSON) in, one answer per line out, in order.
    ///
    /// A malformed line or an unknown job refuses the whole batch (400 or 404 naming the line; nothing
    /// started), as does a store that cannot record it. Otherwise every run is recorded in one commit
    /// before the answer, and each line says 201 with its run, or why that submission was refused (409
    /// for an equal run of a `unique` job).
    func submitBatch(_ request: HTTPRequest) -> HTTPResponse {
        var submissions: [PipelineRunner.Submission] = []
        var lineNumbers: [Int] = []
        for (offset, line) in request.body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        where line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") })
        {
            do {
                let body = try WireJSON.decode(SubmitBody.self, from: Array(line))
                submissions.append(PipelineRunner.Submission(job: body.job, parameters: body.params ?? [:]))
                lineNumbers.append(offset + 1)
            } catch {
                return refuseBatch(
                    400, code: "bad_request", line: offset + 1,
                    message: "line \(offset + 1): each line must be JSON like \(SubmitBody.example): "
                        + "\(Self.describe(error)); nothing was started")
            }
        }
        guard !submissions.isEmpty else {
            return .error(
                400, code: "bad_request",
                message: "the body has no submissions: send one JSON object per line, like \(SubmitBody.example)")
        }
        for (index, submission) in submissions.enumerated() where pipeline?.config.job(submission.job) == nil {
            return refuseBatch(
                404, code: "unknown_job", line: lineNumbers[index],
                message: "line \(lineNumbers[index]): \(unknownJobMessage(submission.job)); nothing was started")
        }
        guard let pipeline else { return .error(500, code: "internal", message: "no config loaded") }
        // Answered once the runs are durable, without holding an HTTP thread while the commit waits;
        // submitting thousands of recorded runs takes a while too, so that runs on a thread of its own.
        let batch = submissions
        return .deferred { responder in
            pipeline.startRuns(batch) { started in
                NamedThread.start(name: "submit-batch") { responder.respond(batchAnswer(batch, started)) }
            }
        }
    }

    /// The answer to a batch once its runs are recorded and submitted (or could not be recorded).
    private func batchAnswer(_ submissions: [PipelineRunner.Submission], _ started: PipelineRunner.RecordedRuns)
        -> HTTPResponse
    {
        let results: [Result<PipelineRunner.Run, any Error>]
        do {
            results = try started()
        } catch {
            let refusal = SubmitRefusal(error)
            return json(["error": refusal], status: refusal.status)
        }
        var body: [UInt8] = []
        let encoder = WireJSON.encoder()
        for (submission, result) in zip(submissions, results) {
            let line = BatchLine(job: submission.job, result)
            guard let data = try? encoder.encode(line) else {
                return .error(500, code: "internal", message: "could not encode the answer; the runs were started")
            }
            body += data
            body.append(UInt8(ascii: "\n"))
        }
        return HTTPResponse(status: 200, contentType: "application/x-ndjson", body: body)
    }
}
