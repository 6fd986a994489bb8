import FoundationEssentials
import JobkitMetrics
import JobkitSupport

extension JobEvent {
    /// The event as one line of JSON (keys sorted, as `JSONEncoder` with `.sortedKeys` writes them, and
    /// decodable by ``init(from:)``), followed by a newline.
    ///
    /// Written directly rather than through `JSONEncoder`, which costs several times more per event: the
    /// event log and the event stream write every event the daemon produces.
    public func appendJSONLine(to bytes: inout [UInt8]) {
        var object = ObjectWriter()
        if let attempt { object.integer("attempt", attempt) }
        if let duration { object.member("duration", .number(duration)) }
        if let error { object.member("error", .string(error)) }
        if let job { object.member("job", .string(job)) }
        object.member("kind", .string(kind.rawValue))
        if let level { object.member("level", .string(level.rawValue)) }
        if let message { object.member("message", .string(message)) }
        if let metadata { object.member("metadata", .object(metadata)) }
        if let name { object.member("name", .string(name)) }
        if let pool { object.member("pool", .string(pool)) }
        if let progress { object.member("progress", .number(progress)) }
        if let run { object.member("run", .string(run)) }
        object.integer("seq", seq)
        if let task { object.member("task", .string(task.description)) }
        object.member("time", .string(RFC3339.milliseconds(time.timeIntervalSince1970)))
        if let worker { object.member("worker", .string(worker)) }
        bytes += object.bytes
        bytes += "}\n".utf8
    }
}

/// Writes the members of one JSON object, in the order given (the caller sorts them).
private struct ObjectWriter {
    var bytes: [UInt8] = [UInt8(ascii: "{")]

    mutating func member(_ key: StaticString, _ value: JSONValue) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes += "\":".utf8
        value.append(to: &bytes)
    }

    /// An integer member, written exactly (a `Double` would round above 2^53).
    mutating func integer(_ key: StaticString, _ value: some BinaryInteger) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes += "\":".utf8
        bytes += String(value).utf8
    }
}

extension JSONValue {
    /// Appends this value as JSON; object keys sorted, non-finite numbers as `null`.
    package func append(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes += "null".utf8
        case .bool(let value): bytes += (value ? "true" : "false").utf8
        case .number(let value):
            if !value.isFinite {
                bytes += "null".utf8
            } else if value == value.rounded(.towardZero) && abs(value) < 1e15 {
                bytes += String(Int64(value)).utf8
            } else {
                bytes += value.description.utf8
            }
        case .string(let value): JSONText.appendString(value, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.append(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONText.appendString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                members[key]!.append(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

/// RFC 3339 times in UTC with milliseconds (`2026-11-25T16:55:27.123Z`), without a formatter.
enum RFC3339 {
    static func milliseconds(_ secondsSinceEpoch: Double) -> String {
        // Split first: whole seconds are exact, and truncating the fraction matches Foundation's formatter.
        let wholeSeconds = secondsSinceEpoch.rounded(.down)
        let totalMilliseconds =
            Int64(wholeSeconds) * 1000 + Int64(((secondsSinceEpoch - wholeSeconds) * 1000).rounded(.down))
        var days = totalMilliseconds / 86_400_000
        var millisecondOfDay = totalMilliseconds % 86_400_000
        if millisecondOfDay < 0 {
            millisecondOfDay += 86_400_000
            days -= 1
        }
        let date = CivilDate(days: Int(days))
        let (year, month, day) = (Int64(date.year), Int64(date.month), Int64(date.day))
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(width - text.count, 0)) + text
        }
        let hour = millisecondOfDay / 3_600_000
        let minute = millisecondOfDay / 60_000 % 60
        let second = millisecondOfDay / 1000 % 60
        let millisecond = millisecondOfDay % 1000
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(millisecond, 3))Z"
    }
}
