import Foundation
import Testing

/// A real Prometheus (Debian's package) on loopback scrapes the real memoryd, and its query API sees the data.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PrometheusIntegrationTests {
    /// Prometheus waits for its first scrape and for the rate window to hold two samples; a loaded two-core
    /// machine needs far less than this.
    static let queryDeadline: Duration = .seconds(90)

    @Test func prometheusScrapesTheDaemonAndComputesAQuantileFromItsHistogram() async throws {
        let daemon = try DaemonProcess()
        let memorydPort = try await daemon.waitForPort()
        let prometheus = try PrometheusServer(
            scraping: memorydPort, in: daemon.directory.appendingPathComponent("prometheus"))
        let check = try await runTool("promtool", ["check", "config", prometheus.configFile.path])
        #expect(check.status == 0, "promtool check config: \(check.output)")
        let api = prometheus.api
        try await prometheus.waitUntilReady(deadline: Self.queryDeadline)

        let up = try await poll("up == 1", deadline: Self.queryDeadline, context: { prometheus.process.printed }) {
            try await Self.query(api, "up{job=\"memoryd\"}").first.flatMap { $0 == 1 ? $0 : nil }
        }
        #expect(up == 1)

        let quantile = "histogram_quantile(0.9, sum by (le) (rate(jobkit_task_duration_seconds_bucket[1m])))"
        let p90 = try await poll(
            "a p90 task duration", deadline: Self.queryDeadline, context: { prometheus.process.printed }
        ) {
            try await Self.query(api, quantile).first.flatMap { $0.isNaN ? nil : $0 }
        }
        #expect(p90 >= 0 && p90.isFinite)

        // The daemon's own series are there too, with the labels Prometheus adds, and none renamed: memoryd
        // uses neither of the target labels itself.
        let housekeeping = try await Self.query(
            api, "sum(jobkit_tasks_total{job=\"memoryd\", job_type=\"housekeeping\", outcome=\"success\"})")
        #expect((housekeeping.first ?? 0) >= 1)
        #expect(try await Self.query(api, "count({exported_job!=\"\"} or {exported_instance!=\"\"})").isEmpty)
        #expect(prometheus.process.stop() == 0, "Prometheus: \(prometheus.process.printed)")
        #expect(try await daemon.terminate() == 0)
    }

    /// The values of an instant vector query, through the HTTP API; throws if Prometheus reports an error.
    static func query(_ api: String, _ expression: String) async throws -> [Double] {
        let result = try await runTool(
            "curl", ["-sS", "--get", "--data-urlencode", "query=\(expression)", "\(api)/api/v1/query"])
        guard
            let document = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
            document["status"] as? String == "success", let data = document["data"] as? [String: Any],
            let vector = data["result"] as? [[String: Any]]
        else { throw DaemonProcessError(message: "query \(expression) failed: \(result.output)") }
        return vector.compactMap { ($0["value"] as? [Any])?.last as? String }.compactMap(Double.init)
    }
}
