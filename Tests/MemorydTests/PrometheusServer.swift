import Foundation

/// A real Prometheus (Debian's package) for a test: scraping one memoryd every second on loopback,
/// with the given rule files, its data in `directory`; stopped by its PID when the test is done.
final class PrometheusServer: Sendable {
    let process: ExternalProcess
    /// The HTTP API's base URL.
    let api: String
    let configFile: URL

    /// Writes the config, Prometheus's defaults but for the intervals (no `honor_labels`: the target
    /// labels `job` and `instance` are Prometheus's), and starts Prometheus.
    init(scraping memorydPort: Int, in directory: URL, ruleFiles: [String] = [], externalLabels: [String: String] = [:])
        throws
    {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configFile = directory.appendingPathComponent("prometheus.yml")
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
          external_labels: {\(externalLabels.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", "))}
        rule_files: [\(ruleFiles.map { "\"\($0)\"" }.joined(separator: ", "))]
        scrape_configs:
          - job_name: memoryd
            static_configs:
              - targets: ["127.0.0.1:\(memorydPort)"]
        """.write(to: configFile, atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        api = "http://127.0.0.1:\(port)"
        process = try ExternalProcess(
            "prometheus",
            [
                "--config.file=\(configFile.path)",
                "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ])
    }

    /// Waits until Prometheus answers its readiness check.
    func waitUntilReady(deadline: Duration) async throws {
        _ = try await poll("Prometheus to be ready", deadline: deadline, context: { self.process.printed }) {
            (try? await runTool("curl", ["-sf", "\(self.api)/-/ready"]))?.status == 0 ? true : nil
        }
    }

    /// The values of an instant vector query; throws if Prometheus reports an error.
    func query(_ expression: String) async throws -> [Double] {
        try await PrometheusIntegrationTests.query(api, expression)
    }
}

/// A small pipeline for end-to-end tests: `extract` on an `llm` pool of one slot, `digest` after it, and
/// `flaky`, which always fails.
enum SmallPipeline {
    static func config(extract: String) -> String {
        """
        [pools.llm]
        slots = 1

        [jobs.extract]
        command = ["sh", "-c", "\(extract)"]
        pool = "llm"

        [jobs.digest]
        command = ["true"]
        depends_on = ["extract"]

        [jobs.flaky]
        command = ["false"]
        """
    }
}
