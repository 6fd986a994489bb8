import Foundation
import Testing

/// `memoryd check-config` and `memoryd graph`, run as users run them; Graphviz reads the graph.
struct ConfigCommandTests {
    var memoryd: String { DaemonProcess.binary.path }
    var example: String { ConfigTests.repositoryRoot.appendingPathComponent("examples/pipeline.toml").path }

    @Test func theExampleChecksOutAndItsGraphRendersWithGraphviz() async throws {
        let check = try await runTool(memoryd, ["check-config", example])
        #expect(check.status == 0)
        #expect(check.output.contains("ok — 6 jobs, 1 pools, 1 sources, 1 watchdogs"))

        let graph = try await runTool(memoryd, ["graph", "--config", example])
        #expect(graph.status == 0)
        let svg = try await runTool("dot", ["-Tsvg"], input: Data(graph.output.utf8))
        #expect(svg.status == 0, "dot: \(svg.output)")
        #expect(svg.output.contains("<svg"))
        #expect(svg.output.contains(">consolidate</text>"))
    }

    @Test func aBrokenFileExitsNonZeroWithEveryErrorLocated() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "[daemon]\nworkers = \"four\"\n\n[jobs.a]\ncommand = [\"true\"]\ndepends_on = [\"ghost\"]\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let check = try await runTool(memoryd, ["check-config", file.path])
        #expect(check.status != 0)
        #expect(check.output.contains("\(file.path):2:11: daemon.workers must be an integer, not a string"))
        #expect(check.output.contains("\(file.path):4:7: jobs.a depends on 'ghost', which is not a job"))

        let missing = try await runTool(memoryd, ["check-config", file.path + ".absent"])
        #expect(missing.status != 0)
        #expect(missing.output.contains("\(file.path).absent:1:1: cannot read the file: No such file or directory"))
    }

    @Test func misspeltNamesGetTheNearestRealOne() async throws {
        let directory = try makeTemporaryDirectory("config-typos")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try writeConfig(
            "[jobs.extract]\ncommand = [\"true\"]\nretires = 3\n\n[jobs.publish]\ncommand = [\"true\"]\n"
                + "depends_on = [\"extrat\"]\n", in: directory)
        let check = try await runTool(memoryd, ["check-config", file.path])
        #expect(check.status != 0)
        #expect(check.output.contains("\(file.path):3:1: unknown key 'retires' in [jobs.extract]; did you mean 'retries'?"))
        #expect(check.output.contains("depends on 'extrat', which is not a job; did you mean 'extract'?"))
    }

    @Test func graphWithoutAConfigNamesTheDefaultAndHowToPassOne() async throws {
        let graph = try await runTool("env", ["XDG_CONFIG_HOME=/nonexistent/memoryd-test", memoryd, "graph"])
        #expect(graph.status != 0)
        #expect(graph.output.contains("no config file at /nonexistent/memoryd-test/memoryd/memoryd.toml, the default"))
        #expect(graph.output.contains("--config FILE"))
    }
}
