import JobkitSupport

/// A client command's request that failed; what went wrong is already on standard error.
package struct ReportedFailure: Error, Sendable {
    package init() {}
}

/// What every client command does with an answer: a success goes on, an error answer or no answer is
/// written to standard error as `memoryd: MESSAGE`.
package enum ClientCall {
    /// Sends `request`'s request and returns its answer when the status is 2xx.
    ///
    /// - Throws: ``ReportedFailure`` after writing why to standard error: no daemon answered, or it
    ///   answered with an error (its message and status).
    package static func perform(
        _ request: () throws(DaemonClient.ClientError) -> DaemonClient.Response
    ) throws(ReportedFailure) -> DaemonClient.Response {
        let response: DaemonClient.Response
        do {
            response = try request()
        } catch {
            throw report(error)
        }
        try requireSuccess(response)
        return response
    }

    /// Writes `memoryd: ERROR` to standard error for a request that got no answer.
    package static func report(_ error: DaemonClient.ClientError) -> ReportedFailure {
        StandardStreams.error("memoryd: \(error)\n")
        return ReportedFailure()
    }

    /// Returns when `response`'s status is 2xx.
    ///
    /// - Throws: ``ReportedFailure`` after writing `memoryd: MESSAGE (HTTP STATUS)` to standard error,
    ///   with the API's `error.message`, or the body as text when it has none.
    package static func requireSuccess(_ response: DaemonClient.Response) throws(ReportedFailure) {
        guard !(200..<300).contains(response.status) else { return }
        let message =
            JSONMember.string(at: ["error", "message"], in: response.body)
            ?? String(decoding: response.body, as: UTF8.self)
        StandardStreams.error("memoryd: \(message) (HTTP \(response.status))\n")
        throw ReportedFailure()
    }
}
