import Testing

@testable import MemorydCore

struct TOMLParserTests {
    func parse(_ text: String) throws -> TOMLTable { try TOMLParser.parse(text, file: "t.toml") }

    func value(_ table: TOMLTable, _ path: String...) -> TOMLValue.Kind? {
        var current = table
        for key in path.dropLast() {
            guard case .table(let inner)? = current[key]?.kind else { return nil }
            current = inner
        }
        return current[path.last!]?.kind
    }

    @Test(arguments: [
        ([0x61, 0x20, 0x3D, 0x20, 0x22, 0xFF, 0x22], 6),  // a = "\xFF"
        ([0x23, 0x20, 0xC3, 0xA9, 0x20, 0xED, 0xA0, 0x80], 5),  // # é, then a surrogate
        ([0x61, 0x3D, 0x22, 0xC0, 0xAF, 0x22], 4),  // an overlong '/'
        ([0x61, 0x3D, 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 4),  // past U+10FFFF
        ([0x61, 0x3D, 0x22, 0xE2, 0x82], 4),  // cut short
    ])
    func bytesThatAreNotUTF8AreRefusedWithTheirPlace(bytes: [UInt8], column: Int) {
        #expect(throws: ConfigError.self) { try TOMLParser.parse(utf8: bytes, file: "t.toml") }
        #expect(TOMLParser.utf8Error(in: bytes, file: "t.toml")?.location.column == column)
        #expect(TOMLParser.utf8Error(in: Array("a = \"café ✓ 😀\"".utf8), file: "t.toml") == nil)
    }

    @Test func theConstructsConfigFilesUseParseWithTheirLocations() throws {
        let table = try parse(
            #"""
            # comment
            title = "a \"quoted\" \u00e9 line\n"   # trailing comment
            path = 'C:\raw'
            big = 1_000_000
            negative = -3
            ratio = 0.25
            on = true
            "quoted key" = 1
            dotted.key = "x"
            argv = [
              "sh",  # first
              "-c",
            ]
            backoff = { initial = "5m", factor = 2.0 }

            [jobs.extract]
            retries = 3

            [[health.watchdogs]]
            name = "a"
            [[health.watchdogs]]
            name = "b"
            """#)
        guard case .string(let title)? = value(table, "title") else { Issue.record("title"); return }
        #expect(title == "a \"quoted\" é line\n")
        guard case .string(let path)? = value(table, "path") else { Issue.record("path"); return }
        #expect(path == #"C:\raw"#)
        guard case .integer(1_000_000)? = value(table, "big"), case .integer(-3)? = value(table, "negative"),
            case .float(0.25)? = value(table, "ratio"), case .boolean(true)? = value(table, "on"),
            case .integer(1)? = value(table, "quoted key"), case .string("x")? = value(table, "dotted", "key"),
            case .integer(3)? = value(table, "jobs", "extract", "retries")
        else {
            Issue.record("scalar values")
            return
        }
        guard case .array(let argv)? = value(table, "argv") else { Issue.record("argv"); return }
        #expect(argv.count == 2)
        guard case .table(let backoff)? = value(table, "backoff") else { Issue.record("backoff"); return }
        #expect(backoff.inline && backoff.entries.map(\.key) == ["initial", "factor"])
        guard case .array(let watchdogs)? = value(table, "health", "watchdogs") else {
            Issue.record("watchdogs"); return
        }
        #expect(watchdogs.count == 2)
        #expect(
            table.entries.first { $0.key == "big" }?.keyLocation == SourceLocation(file: "t.toml", line: 4, column: 1))
        #expect(table["ratio"]?.location == SourceLocation(file: "t.toml", line: 6, column: 9))
    }

    @Test(arguments: [
        ("a = ", "t.toml:1:5: expected a value, found the end of the file"),
        ("a = 1\na = 2", "t.toml:2:1: 'a' is already defined (at t.toml:1:1)"),
        ("[x]\n[x]", "t.toml:2:1: table [x] is defined twice"),
        ("a = \"open", "t.toml:1:5: unterminated string"),
        ("a = [1, 2", "t.toml:1:10: expected ',' or ']' in the array, found the end of the file"),
        ("a = 1 b = 2", "t.toml:1:7: expected the end of the line, found 'b = 2'"),
        ("a = hello", "t.toml:1:5: 'hello' is not a valid value (strings need quotes)"),
        ("a = 03:00", "t.toml:1:5: a time is HH:MM:SS, with an optional fraction (quote a time of day or a duration: \"03:00\", \"30s\")"),
        ("a = 2024-02-30", "t.toml:1:5: 2024-02-30 is not a date"),
        ("a = 1__000", "t.toml:1:5: '1__000' is not a valid value (strings need quotes)"),
        ("a = 0x", "t.toml:1:5: '0x' is not a valid value (strings need quotes)"),
        ("a = 9223372036854775808", "t.toml:1:5: '9223372036854775808' is out of range for a 64-bit integer"),
        ("a = \"\"\"x\"\"\"\"\"\"", "t.toml:1:9: too many quotes at the end of a multi-line string"),
        ("a = \"tab\tok but \u{7}bell\"", "t.toml:1:17: control character U+0007 in a string (escape it)"),
        ("a = 1 # bell \u{7}", "t.toml:1:14: a control character in a comment"),
        ("a = 1\rb = 2", "t.toml:1:6: a carriage return must be followed by a newline"),
        ("\"\"\"key\"\"\" = 1", "t.toml:1:1: a key cannot be a multi-line string"),
        ("fruit = []\n[[fruit]]", "t.toml:2:1: 'fruit' is already an array (at t.toml:1:1)"),
        ("[a]\nb.c = 1\n[a.b]", "t.toml:3:1: table [a.b] is defined twice"),
        ("a = 1\n[a]", "t.toml:2:1: 'a' is already an integer (at t.toml:1:1)"),
        ("a = \"\\q\"", "t.toml:1:7: invalid escape \\q"),
        // Found by the TOML fuzzer: nesting this deep overflowed the stack.
        (
            "a = " + String(repeating: "[", count: 100_000),
            "t.toml:1:133: arrays and inline tables are nested deeper than 128 levels"
        ),
        ("a = " + String(repeating: "{b = ", count: 200) + "1", "t.toml:1:645: arrays and inline tables are nested deeper than 128 levels"),
    ])
    func syntaxErrorsSayWhereAndWhat(text: String, message: String) {
        let error = #expect(throws: ConfigError.self) { try parse(text) }
        #expect(error?.description == message)
    }
}

extension TOMLParserTests {
    /// TOML 1.0's other values, read as the specification and toml-test's cases say.
    @Test func multiLineStringsNumbersAndDatesAreRead() throws {
        let table = try parse(
            #"""
            text = """
            one \
              two""""
            raw = '''C:\path\'''
            hex = 0xdead_beef
            octal = 0o755
            bits = 0b1010
            big = -inf
            when = 1979-05-27 07:32:00.5z
            day = 1979-05-27
            """#)
        guard case .string(let text)? = table["text"]?.kind, case .string(let raw)? = table["raw"]?.kind,
            case .integer(let hex)? = table["hex"]?.kind, case .integer(let octal)? = table["octal"]?.kind,
            case .integer(let bits)? = table["bits"]?.kind, case .float(let big)? = table["big"]?.kind,
            case .dateTime(let when)? = table["when"]?.kind, case .dateTime(let day)? = table["day"]?.kind
        else {
            Issue.record("unexpected kinds")
            return
        }
        #expect(text == "one two\"" && raw == #"C:\path\"#)
        #expect(hex == 0xdead_beef && octal == 0o755 && bits == 10 && big == -.infinity)
        #expect(when == TOMLDateTime(form: .offsetDateTime, text: "1979-05-27T07:32:00.500Z"))
        #expect(day == TOMLDateTime(form: .localDate, text: "1979-05-27"))
    }
}
