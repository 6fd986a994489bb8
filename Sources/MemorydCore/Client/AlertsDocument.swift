import FoundationEssentials
import JobkitDaemon

/// `GET /v1/alerts` as the CLI reads it.
public struct AlertsDocument: Decodable, Sendable {
    public struct Item: Decodable, Sendable, Hashable {
        public var labels: [String: String]
        public var annotations: [String: String]
        public var state: String
        public var activeAt: String
        public var value: String

        public var name: String { labels["alertname"] ?? "?" }
        /// `key=value,…` of the labels but `alertname`, sorted.
        public var labelText: String {
            labels.filter { $0.key != "alertname" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ",")
        }
    }

    public var alerts: [Item]

    public static func decode(_ body: [UInt8]) -> AlertsDocument? {
        try? WireJSON.decode(AlertsDocument.self, from: body)
    }
}
