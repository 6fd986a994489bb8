public import FoundationEssentials

/// The one JSON form of the API and the files a daemon writes: keys sorted, `/` not escaped, dates in
/// RFC 3339. Servers, clients and tests encode and decode through it, so every side agrees.
public enum WireJSON {
    /// An encoder in the wire form; `pretty` for files a person may read (the status file).
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// A decoder for what ``encoder(pretty:)`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// `bytes` decoded as `type`.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: some Collection<UInt8>) throws -> Value
    {
        try decoder().decode(type, from: Data(bytes))
    }
}
