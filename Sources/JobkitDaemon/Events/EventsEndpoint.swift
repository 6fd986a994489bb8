import FoundationEssentials
public import Jobkit
import JobkitMetrics
import JobkitSupport

/// `GET /v1/events`: the event stream as NDJSON (default) or server-sent events.
///
/// Query parameters, all optional:
/// - `since=SEQ` (or an SSE client's `Last-Event-ID` header, which wins): first replay the events after
///   `SEQ` — from memory, and from the event log for events
///   memory no longer holds — then continue live;
/// - `job=A,B`, `kind=K1,K2`: only events of these job types / kinds;
/// - `task=t1,t2`, `run=R1,R2`: only events of these tasks / runs (correlation ids);
/// - `level=L`: only events with a log level of at least `L` (`trace` … `critical`);
/// - `follow=false`: end after the replay (without `since`: after the events memory holds) instead of
///   following.
///
/// A reader that falls behind loses its oldest events and gets a marker saying how many:
/// `{"kind":"lagged","dropped":N}` in NDJSON, `event: lagged` in SSE. It never slows the scheduler. One
/// that stops reading altogether is closed after the listener's stall timeout, with a last
/// `{"kind":"lagged","closed":true,…}` marker.
///
/// ```swift
/// let endpoint = EventsEndpoint(events: scheduler.events, log: eventLog)
/// router.route(.get, "/v1/events") { endpoint.respond(to: $0) }
/// ```
public struct EventsEndpoint: Sendable {
    public let events: EventStream
    /// Where replays find events memory no longer holds; `nil` replays from memory only.
    public let log: EventLog?
    /// Time between SSE keep-alive comments, so proxies and clients see a live stream.
    public let heartbeat: Duration

    /// Default time between keep-alive comments (15 s).
    public static let defaultHeartbeat: Duration = .seconds(15)

    public init(events: EventStream, log: EventLog? = nil, heartbeat: Duration = defaultHeartbeat) {
        self.events = events
        self.log = log
        self.heartbeat = heartbeat
    }

    /// What the client asked for.
    struct Query: Sendable {
        var since: UInt64?
        var jobs: Set<String>?
        var kinds: Set<String>?
        var tasks: Set<TaskID>?
        var runs: Set<String>?
        var minimumLevel: LogLevel?
        var follow = true
        var serverSentEvents = false

        /// Parses the request, or answers why not.
        init(_ request: HTTPRequest) throws(QueryError) {
            if let since = request.query["since"] {
                guard let value = UInt64(since) else {
                    throw QueryError("since must be a sequence number (a non-negative integer), not '\(since)'")
                }
                self.since = value
            }
            // A reconnecting EventSource sends the id of the last event it got: resume after it.
            if let lastEventID = request.header("Last-Event-ID"), let value = UInt64(lastEventID) {
                self.since = value
            }
            jobs = Self.list(request.query["job"])
            kinds = Self.list(request.query["kind"])
            runs = Self.list(request.query["run"])
            if let texts = Self.list(request.query["task"]) {
                var ids = Set<TaskID>()
                for text in texts.sorted() {
                    guard let id = TaskID(text) else { throw QueryError("task takes ids like t42, not '\(text)'") }
                    ids.insert(id)
                }
                tasks = ids
            }
            if let level = request.query["level"] {
                guard let parsed = LogLevel(rawValue: level) else {
                    let valid = LogLevel.allCases.map(\.rawValue).joined(separator: ", ")
                    throw QueryError("level must be one of \(valid), not '\(level)'")
                }
                minimumLevel = parsed
            }
            switch request.query["follow"] {
            case nil, "true", "1": follow = true
            case "false", "0": follow = false
            case let other?: throw QueryError("follow must be true or false, not '\(other)'")
            }
            serverSentEvents = QualityListEntry.parse(request.header("Accept") ?? "").contains {
                $0.token == "text/event-stream" && $0.quality > 0
            }
        }

        private static func list(_ value: String?) -> Set<String>? {
            value.map { Set($0.split(separator: ",").map(String.init)) }
        }

        func accepts(_ event: JobEvent) -> Bool {
            if let jobs, !jobs.contains(event.job ?? "") { return false }
            if let kinds, !kinds.contains(event.kind.rawValue) { return false }
            if let tasks, !(event.task.map(tasks.contains) ?? false) { return false }
            if let runs, !runs.contains(event.run ?? "") { return false }
            if let minimumLevel {
                guard let level = event.level, level >= minimumLevel else { return false }
            }
            return true
        }
    }

    struct QueryError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// The answer to `GET /v1/events`: a stream, or a 400 for a query it cannot parse.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let query: Query
        do {
            query = try Query(request)
        } catch {
            return .error(400, code: "bad_request", message: error.message)
        }
        let contentType = query.serverSentEvents ? "text/event-stream" : "application/x-ndjson"
        return .stream(contentType: contentType, headers: [("Cache-Control", "no-store")]) { stream in
            await self.produce(query, into: stream)
        }
    }

    private func produce(_ query: Query, into stream: HTTPStream) async {
        // What a client that stopped reading gets last, if it reads again before the server closes it.
        let stalled =
            #"{"kind":"lagged","closed":true,"message":"the client did not read for too long; the stream is closed, reconnect with since=SEQ"}"#
        stream.setStallMarker(
            Array((query.serverSentEvents ? "event: lagged\ndata: \(stalled)\n\n" : stalled + "\n").utf8))
        let filter: @Sendable (JobEvent) -> Bool = { query.accepts($0) }
        // Events older than memory holds come from the log, up to the oldest event memory still has.
        var replayedUpTo = query.since
        if let since = query.since, let log {
            let oldestInMemory = events.history().first?.seq ?? (events.lastSeq + 1)
            if since + 1 < oldestInMemory {
                for event in log.events(after: since, where: { $0.seq < oldestInMemory && filter($0) }) {
                    guard await stream.write(encode(.event(event), query)) else { return }
                }
                replayedUpTo = oldestInMemory - 1
            }
        }
        guard query.follow else {
            // Without `since`, a one-off read shows what memory holds.
            for event in events.history(after: replayedUpTo ?? 0) where filter(event) {
                guard await stream.write(encode(.event(event), query)) else { return }
            }
            return
        }
        let subscription = events.subscribe(consumer: "api", since: replayedUpTo, filter: filter)
        defer { subscription.cancel() }
        await withTaskGroup(of: Void.self) { group in
            if query.serverSentEvents {
                group.addTask {
                    // Comments keep idle connections open through proxies and show a vanished client.
                    while (try? await Task.sleep(for: heartbeat)) != nil {
                        guard await stream.write(Array(": keepalive\n\n".utf8)) else { return }
                    }
                }
            }
            for await element in subscription {
                guard await stream.write(encode(element, query)) else { break }
            }
            group.cancelAll()
        }
    }

    private func encode(_ element: EventStreamElement, _ query: Query) -> [UInt8] {
        switch element {
        case .event(let event):
            if query.serverSentEvents {
                var bytes = Array("id: \(event.seq)\nevent: \(event.kind.rawValue)\ndata: ".utf8)
                event.appendJSONLine(to: &bytes)
                bytes.append(UInt8(ascii: "\n"))
                return bytes
            }
            var line: [UInt8] = []
            event.appendJSONLine(to: &line)
            return line
        case .lagged(let dropped):
            if query.serverSentEvents { return Array("event: lagged\ndata: {\"dropped\":\(dropped)}\n\n".utf8) }
            return Array("{\"kind\":\"lagged\",\"dropped\":\(dropped)}\n".utf8)
        }
    }

}
