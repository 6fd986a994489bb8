import JobkitSupport

/// `memoryd submit JOB`: one `POST /v1/tasks`, the new task's id printed (its whole answer with
/// `--json`). Shared by the CLI's full parse and its fast path, so both send and print the same.
package enum SubmitCall {
    /// A `--param` that is not `KEY=VALUE` with a non-empty key.
    package struct MalformedParameter: Error, Sendable {
        package var parameter: String
    }

    /// `KEY=VALUE` pairs, in order, a later key replacing an earlier one in place.
    ///
    /// - Throws: ``MalformedParameter`` for one without `=` or with an empty key.
    package static func parameters(_ arguments: [String]) throws(MalformedParameter) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw MalformedParameter(parameter: argument)
            }
            let key = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)...])
            // A linear search: a submit has a few parameters, and a dictionary's first use scans the
            // binary's protocol conformances.
            if let index = pairs.firstIndex(where: { $0.0 == key }) {
                pairs[index].1 = value
            } else {
                pairs.append((key, value))
            }
        }
        return pairs
    }

    /// The request body, `{"job":JOB,"params":{KEY:VALUE,…}}`, written by hand: JSONEncoder's generic
    /// machinery is a visible part of a call's start-up.
    package static func body(job: String, parameters: [(String, String)]) -> [UInt8] {
        var body = Array(#"{"job":"#.utf8)
        JSONText.appendString(job, to: &body)
        body += #","params":{"#.utf8
        for (index, (key, value)) in parameters.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            JSONText.appendString(key, to: &body)
            body.append(UInt8(ascii: ":"))
            JSONText.appendString(value, to: &body)
        }
        body += "}}".utf8
        return body
    }

    /// Submits `job` with `parameters` and prints the task's id, or the whole answer when `json`.
    ///
    /// - Throws: ``ReportedFailure`` when no daemon answered or it refused (the reason on standard error).
    package static func run(
        _ job: String, parameters: [(String, String)], json: Bool, client: DaemonClient
    ) throws(ReportedFailure) {
        let payload = body(job: job, parameters: parameters)
        let response = try ClientCall.perform { () throws(DaemonClient.ClientError) in
            try client.send("POST", "/v1/tasks", json: payload)
        }
        if json {
            StandardStreams.output(response.body)
        } else if let id = JSONMember.string("id", in: response.body) {
            StandardStreams.output(id + "\n")
        }
    }
}
