import Foundation
import JobkitHealth
import JobkitMetrics
import Testing

/// Rule files in the shapes public collections use (Tests/Fixtures/rules: host, services, queues, a
/// compiled mixin, Kubernetes): promtool accepts each, and memoryd loads each (library and
/// `memoryd check-config`) and evaluates every rule without an error.
@Suite(.timeLimit(.minutes(3)))
struct RuleFixtureTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/rules")
    }

    static var files: [URL] {
        (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil))?
            .filter { $0.pathExtension == "yml" }.sorted { $0.path < $1.path } ?? []
    }

    @Test func publicShapedRuleFilesLoadAndEvaluate() async throws {
        #expect(Self.files.count >= 5, "fixtures in \(Self.directory.path)")
        var rules = 0
        for file in Self.files {
            let check = try await runTool("promtool", ["check", "rules", file.path])
            #expect(check.status == 0, "promtool refuses \(file.lastPathComponent): \(check.output)")
            let groups = try RuleFile.load(path: file.path)
            rules += groups.map(\.rules.count).reduce(0, +)
            let engine = RuleEngine(
                groups: groups, defaultIntervalMilliseconds: 60_000,
                targetLabels: ["job": "memoryd", "instance": "127.0.0.1:9477"])
            for index in groups.indices {
                for minute in 0..<3 {
                    let evaluation = engine.evaluate(group: index, at: Int64(minute) * 60_000, families: [])
                    #expect(evaluation.failures.isEmpty, "\(file.lastPathComponent): \(evaluation.failures)")
                }
            }
        }
        #expect(rules >= 30)

        let config = FileManager.default.temporaryDirectory.appendingPathComponent("fixtures-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: config) }
        try "[health]\nrule_files = [\(Self.files.map { "\"\($0.path)\"" }.joined(separator: ", "))]\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let loaded = try await runTool(DaemonProcess.binary.path, ["check-config", config.path])
        #expect(loaded.status == 0, "memoryd check-config: \(loaded.output)")
    }
}
