/// One string member of a JSON object, read by hand where a decoder would cost too much: `JSONDecoder`'s
/// generic machinery looks up protocol conformances across the whole binary the first time it runs,
/// a visible part of a client command's start-up (`memoryd submit` prints the new task's id).
package enum JSONMember {
    /// The value of the top-level member `name` of the JSON object in `bytes`, when it is a string;
    /// `nil` when `bytes` is not an object, has no such member, its value is not a string, or the text is
    /// malformed before the member.
    package static func string(_ name: String, in bytes: [UInt8]) -> String? {
        string(at: [name], in: bytes)
    }

    /// The string at `path` in the JSON object in `bytes`: `["error", "message"]` reads
    /// `{"error": {"message": "…"}}`; `nil` under the same conditions as ``string(_:in:)``, at any level.
    package static func string(at path: [String], in bytes: [UInt8]) -> String? {
        guard !path.isEmpty else { return nil }
        var scanner = Scanner(bytes: bytes)
        for (depth, name) in path.enumerated() {
            guard scanner.member(name) else { return nil }
            if depth == path.count - 1 { return scanner.string() }
        }
        return nil
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        /// Moves into the object that is next, to the value of its member `name`; `false` when there is
        /// no object, no such member, or the text is malformed before it.
        mutating func member(_ name: String) -> Bool {
            guard consume(UInt8(ascii: "{")) else { return false }
            if consume(UInt8(ascii: "}")) { return false }
            while true {
                guard let key = string(), consume(UInt8(ascii: ":")) else { return false }
                if key == name { return true }
                guard skipValue(), consume(UInt8(ascii: ",")) else { return false }
            }
        }

        /// Skips whitespace, then `byte` if it is next.
        mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// A string literal, decoded; `nil` if none is next or it is malformed.
        mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var scalars = String.UnicodeScalarView()
            var run = position
            func flush(_ end: Int) -> Bool {
                guard let text = String(validating: bytes[run..<end], as: UTF8.self) else { return false }
                scalars.append(contentsOf: text.unicodeScalars)
                return true
            }
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    guard flush(position) else { return nil }
                    position += 1
                    return String(scalars)
                }
                guard byte >= 0x20 else { return nil }
                guard byte == UInt8(ascii: "\\") else {
                    position += 1
                    continue
                }
                guard flush(position), let scalar = escape() else { return nil }
                scalars.append(scalar)
                run = position
            }
            return nil
        }

        /// The character of the escape at `position` (its backslash), moving past it.
        private mutating func escape() -> Unicode.Scalar? {
            guard position + 1 < bytes.count else { return nil }
            let letter = bytes[position + 1]
            position += 2
            switch letter {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return Unicode.Scalar(letter)
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                guard let high = hex4() else { return nil }
                guard (0xD800..<0xDC00).contains(high) else { return Unicode.Scalar(high) }
                // A surrogate pair: the low half must follow as its own escape.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { return nil }
                position += 2
                guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            default: return nil
            }
        }

        /// Four hex digits at `position`, moving past them.
        private mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count,
                let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
            else { return nil }
            position += 4
            return value
        }

        /// Moves past one value of any kind; `false` if it is malformed where that shows.
        mutating func skipValue() -> Bool {
            skipWhitespace()
            guard position < bytes.count else { return false }
            switch bytes[position] {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while position < bytes.count {
                    switch bytes[position] {
                    case UInt8(ascii: "\""):
                        guard string() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    position += 1
                    if depth == 0 { return true }
                }
                return false
            default:
                // A number, true, false or null: up to the next delimiter.
                let start = position
                while position < bytes.count,
                    ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(
                        bytes[position])
                {
                    position += 1
                }
                return position > start
            }
        }
    }
}
