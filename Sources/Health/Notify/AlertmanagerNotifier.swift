import Dispatch
import FoundationEssentials
import Jobkit
import JobkitSupport
import Synchronization

/// Sends alerts to an Alertmanager (`POST /api/v2/alerts`) as Prometheus does, from a thread of its own so
/// a slow or absent Alertmanager never holds up rule evaluation.
public final class AlertmanagerNotifier: Sendable {
    /// A URL this notifier cannot use.
    public struct BadURL: Error, CustomStringConvertible {
        public var description: String
    }

    private let host: String
    private let port: UInt16
    private let pathPrefix: String
    private let generatorURL: String
    private let pending = Mutex<[[Alert]]>([])
    private let wake = DispatchSemaphore(value: 0)
    /// Set by ``finish()``: the thread sends what is queued, then exits.
    private let finishing = Atomic<Bool>(false)
    /// Called with a message when a batch could not be delivered (it is then dropped, as Prometheus drops it).
    private let onFailure: @Sendable (String) -> Void

    /// Alerts per request (Prometheus: 64).
    public static let batchLimit = 64
    /// Seconds to wait for Alertmanager to accept a connection or answer (10).
    public static let timeoutSeconds = 10
    /// Batches waiting to be sent beyond which the oldest are dropped (100).
    public static let queueLimit = 100

    /// - Parameters:
    ///   - url: the Alertmanager's base URL, `http://host:port` (plain HTTP).
    ///   - generatorURL: the link each alert carries back to its source.
    public init(url: String, generatorURL: String, onFailure: @escaping @Sendable (String) -> Void) throws(BadURL) {
        guard url.hasPrefix("http://") else {
            throw BadURL(description: "alertmanager URL must start with http:// (got \(url))")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(authority.count))
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let (hostPart, portPart): (Substring, Substring?) =
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                (
                    authority[authority.index(after: authority.startIndex)..<close],
                    authority[close...].dropFirst().first == ":" ? authority[close...].dropFirst(2) : nil
                )
            } else if let colon = authority.lastIndex(of: ":") {
                (authority[..<colon], authority[authority.index(after: colon)...])
            } else {
                (authority, nil)
            }
        guard !hostPart.isEmpty, let port = portPart.map({ UInt16($0) }) ?? 80 else {
            throw BadURL(description: "alertmanager URL needs a host and a valid port (got \(url))")
        }
        host = String(hostPart)
        self.port = port
        pathPrefix = prefix
        self.generatorURL = generatorURL
        self.onFailure = onFailure
        NamedThread.start(name: "alertmanager") { [self] in sendLoop() }
    }

    /// Queues `alerts` to be sent.
    public func send(_ alerts: [Alert]) {
        pending.withLock { queue in
            for start in stride(from: 0, to: alerts.count, by: Self.batchLimit) {
                queue.append(Array(alerts[start..<min(start + Self.batchLimit, alerts.count)]))
            }
            if queue.count > Self.queueLimit { queue.removeFirst(queue.count - Self.queueLimit) }
        }
        wake.signal()
    }

    /// Sends what is queued, then ends the notifier's thread; alerts sent afterwards are dropped. A
    /// notifier that is replaced (a reload) must be finished, or its thread lives on.
    public func finish() {
        finishing.store(true, ordering: .releasing)
        wake.signal()
    }

    /// The JSON body Alertmanager's v2 API takes: `startsAt` is when the alert fired, `endsAt` when it
    /// resolved or, while it fires, when it should be considered resolved unless sent again.
    public func body(for alerts: [Alert]) -> [UInt8] {
        let items: [JSONValue] = alerts.map { alert in
            .object([
                "labels": .object(alert.labels.mapValues(JSONValue.string)),
                "annotations": .object(alert.annotations.mapValues(JSONValue.string)),
                "startsAt": .string(Self.timestamp(alert.firedAt ?? alert.activeAt)),
                "endsAt": .string(Self.timestamp(alert.resolvedAt ?? alert.validUntil ?? alert.activeAt)),
                "generatorURL": .string(generatorURL),
            ])
        }
        var bytes: [UInt8] = []
        JSONValue.array(items).append(to: &bytes)
        return bytes
    }

    /// RFC 3339 in UTC with milliseconds, as Alertmanager and Prometheus' API write times.
    public static func timestamp(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    private func sendLoop() {
        while true {
            wake.wait()
            while let batch = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                do {
                    try post(body(for: batch))
                } catch {
                    onFailure("alertmanager at \(host):\(port): \(error); \(batch.count) alert(s) not delivered")
                }
            }
            if finishing.load(ordering: .acquiring) { return }
        }
    }

    private struct SendError: Error, CustomStringConvertible {
        var description: String
    }

    private func post(_ body: [UInt8]) throws(SendError) {
        let client = HTTPClient(.tcp(host: host, port: Int(port)), timeout: .seconds(Self.timeoutSeconds))
        let request = HTTPClient.Request(
            "POST", "\(pathPrefix)/api/v2/alerts", headers: [("Content-Type", "application/json")], body: body)
        let response: HTTPClient.Response
        do {
            response = try client.fetch(request)
        } catch {
            throw SendError(description: error.notConnected ? "cannot connect: \(error)" : error.description)
        }
        guard (200..<300).contains(response.status) else {
            throw SendError(description: "answered '\(response.head.statusLine)'")
        }
    }
}
