public import JobkitDaemon

extension MemorydDaemon {
    /// Answers `request` as the daemon's listeners would, without a socket (see
    /// ``HTTPServer/respond(to:version:headerList:)``): for in-process tests and fuzzing.
    public func respond(
        to request: HTTPRequest, version: String = "HTTP/1.1", headerList: [(name: String, value: String)]? = nil
    ) -> HTTPResponse {
        server.respond(to: request, version: version, headerList: headerList)
    }
}
