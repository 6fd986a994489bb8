import JobkitHealth
import Testing

/// Numbers in templates and in /v1/alerts print as Prometheus (Go) prints them.
struct GoFormatTests {
    @Test(arguments: [
        (123456.0, "123456"), (1234567.0, "1.234567e+06"), (1e6, "1e+06"), (0.0001, "0.0001"), (1e-05, "1e-05"),
        (0.25, "0.25"), (3.0, "3"), (-2.5, "-2.5"), (Double.nan, "NaN"), (Double.infinity, "+Inf"),
        (0.1 + 0.2, "0.30000000000000004"),
    ])
    func valuesPrintLikeGosPercentV(value: Double, text: String) {
        #expect(GoFormat.shortest(value) == text)
    }

    @Test(arguments: [(1.0, "1e+00"), (0.42, "4.2e-01"), (1234.5, "1.2345e+03"), (Double.nan, "NaN")])
    func apiValuesPrintLikeGosPercentE(value: Double, text: String) {
        #expect(GoFormat.exponent(value) == text)
    }

    @Test func humanizingTemplates() throws {
        let cases: [(String, Double, String)] = [
            ("{{ $value | humanize }}", 1234, "1.234k"), ("{{ $value | humanize }}", 0.5, "500m"),
            ("{{ $value | humanizePercentage }}", 0.1234, "12.34%"),
            ("{{ $value | humanizeDuration }}", 93784, "1d 2h 3m 4s"),
            ("{{ $value | humanizeDuration }}", 4.5, "4.5s"), ("{{ $value | humanizeDuration }}", 0.25, "250ms"),
            ("{{ $labels.job | toUpper }} at {{ .Value }}", 2, "EXTRACT at 2"),
        ]
        for (source, value, text) in cases {
            #expect(try AlertTemplate(source).expand(labels: ["job": "extract"], value: value) == text, "\(source)")
        }
    }
}
