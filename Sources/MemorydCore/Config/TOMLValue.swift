/// A place in a config file, for error messages (`file:line:column`, 1-based).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public var description: String { "\(file):\(line):\(column)" }
}

/// A config error at a location; its description is `file:line:column: message`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// A TOML value with where it was written.
package struct TOMLValue: Sendable {
    package enum Kind: Sendable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
        case dateTime(TOMLDateTime)
    }

    package var kind: Kind
    package var location: SourceLocation

    /// The TOML type name, for "expected …, found …" messages.
    var typeName: String {
        switch kind {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .dateTime: "a date-time"
        }
    }
}

/// A TOML table: keys in the order written, each with its value and the location of the key.
package struct TOMLTable: Sendable {
    package struct Entry: Sendable {
        package var key: String
        package var keyLocation: SourceLocation
        package var value: TOMLValue
    }

    package var entries: [Entry] = []
    /// Defined by a `[header]` (or `[[header]]`), as opposed to implicitly by a dotted key or a subtable.
    var explicitlyDefined = false
    /// Written inline (`{ … }`), so nothing may be added later.
    var inline = false
    /// Made by a dotted key (`a.b = 1` makes `a`), so no `[a]` header may define it afterwards.
    var definedByDottedKeys = false

    subscript(key: String) -> TOMLValue? {
        entries.first { $0.key == key }?.value
    }

    func index(of key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }
}

/// A TOML date, time or date-time, kept as its normalized RFC 3339 text (`T` between date and time,
/// upper-case `Z`, fractions to at least milliseconds): the config uses none, but parses them all.
package struct TOMLDateTime: Sendable, Hashable {
    package enum Form: Sendable, Hashable {
        /// `1979-05-27T07:32:00Z`, `…-07:00`.
        case offsetDateTime
        /// `1979-05-27T07:32:00`.
        case localDateTime
        /// `1979-05-27`.
        case localDate
        /// `07:32:00`.
        case localTime
    }

    package var form: Form
    package var text: String
}
