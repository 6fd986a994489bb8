import FoundationEssentials
import JobkitDaemon

extension HTTPResponse {
    /// `value` as the API's JSON (sorted keys, RFC 3339 dates, a final newline), or a 500 if it cannot
    /// be encoded.
    static func encoded<Value: Encodable>(_ value: Value, status: Int = 200) -> HTTPResponse {
        guard let data = try? WireJSON.encoder().encode(value) else {
            return .error(500, code: "internal", message: "could not encode the response")
        }
        return .json(Array(data) + [10], status: status)
    }
}
