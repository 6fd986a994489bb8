import Foundation
import Testing

/// The reference Python client (PyPI `prometheus_client`) parses what the live daemon serves, in both formats.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PythonClientTests {
    /// Parses stdin with the parser named by argv[1] and prints "name type samples" per family.
    static let parse = """
        import sys
        from prometheus_client import parser
        from prometheus_client.openmetrics import parser as openmetrics
        chosen = openmetrics if sys.argv[1] == "openmetrics" else parser
        for family in chosen.text_string_to_metric_families(sys.stdin.read()):
            print(family.name, family.type, len(family.samples))
        """

    @Test(arguments: [("text", "text/plain"), ("openmetrics", "application/openmetrics-text; version=1.0.0")])
    func theDaemonsOutputParses(format: String, accept: String) async throws {
        let daemon = try DaemonProcess()
        let port = try await daemon.waitForPort()
        try await daemon.waitUntil("a housekeeping task to finish") {
            let scrape = try? await runTool("curl", ["-sS", "http://127.0.0.1:\(port)/metrics"])
            return scrape?.output.contains("jobkit_task_duration_seconds_count{job_type=\"housekeeping\"}") == true
        }
        let scrape = try await runTool("curl", ["-sS", "-H", "Accept: \(accept)", "http://127.0.0.1:\(port)/metrics"])
        #expect(scrape.status == 0)

        let parsed = try await runTool("python3", ["-c", Self.parse, format], input: Data(scrape.output.utf8))
        #expect(parsed.status == 0, "prometheus_client could not parse the \(format) output: \(parsed.output)")
        let families = Dictionary(
            parsed.output.split(separator: "\n").map { line -> (String, String) in
                let fields = line.split(separator: " ")
                return (String(fields[0]), String(fields[1]))
            }, uniquingKeysWith: { first, _ in first })
        // The client names counter families without `_total` in both parsers.
        #expect(families["jobkit_tasks"] == "counter")
        #expect(families["jobkit_task_duration_seconds"] == "histogram")
        #expect(families["process_resident_memory_bytes"] == "gauge")
        #expect(try await daemon.terminate() == 0)
    }
}
