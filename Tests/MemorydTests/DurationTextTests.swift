import JobkitSupport
import Testing

/// The one duration grammar of config files, options, rule files and PromQL: Prometheus's.
@Suite struct DurationTextTests {
    static let readable: [(String, Int64)] = [
        ("90s", 90_000), ("1h30m", 5_400_000), ("250ms", 250), ("2w", 1_209_600_000),
        ("1y2w3d4h5m6s7ms", 33_019_506_007), ("0s", 0),
    ]

    @Test(arguments: readable)
    func durationsAreReadAsPrometheusReadsThem(text: String, milliseconds: Int64) {
        #expect(DurationText.milliseconds(text) == milliseconds)
    }

    /// Prometheus's `model.ParseDuration` takes units largest first and each once, whole numbers only.
    @Test(arguments: ["", "5", "5x", "1m1h", "1h1h", "1.5h", " 5m", "5m ", "-5m", "m", "1h30", "99999999999999y"])
    func whatPrometheusRefusesIsRefused(text: String) {
        #expect(DurationText.milliseconds(text) == nil)
    }

    static let written: [(Int64, String)] = [
        (90_000, "90s"), (900_000, "15m"), (3_600_000, "1h"), (172_800_000, "2d"), (1_209_600_000, "14d"),
        (250, "250ms"), (5_400_000, "90m"),
    ]

    @Test(arguments: written)
    func aDurationIsWrittenInTheLargestUnitThatDividesIt(milliseconds: Int64, text: String) {
        #expect(DurationText.compact(milliseconds: milliseconds) == text)
        #expect(DurationText.milliseconds(text) == milliseconds, "what is written reads back")
    }
}
