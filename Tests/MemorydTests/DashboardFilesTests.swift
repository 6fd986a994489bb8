import Foundation
import Testing

/// The files in dashboards/ as their tools read them: promtool checks and unit-tests the rules, and the
/// Grafana dashboard is wired as Grafana expects (a datasource variable, instance and job variables,
/// `$__rate_interval` in every range, unique panel ids, a grid without overlaps).
struct DashboardFilesTests {
    static let prometheus = DashboardIntegrationTests.repository.appendingPathComponent("dashboards/prometheus")

    @Test func promtoolAcceptsTheRulesAndTheirUnitTestsPass() async throws {
        let check = try await runTool(
            "promtool", ["check", "rules"] + DashboardIntegrationTests.ruleFiles.map(\.path))
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS: 8 rules found") && check.output.contains("SUCCESS: 7 rules found"))
        let tests = try await runTool(
            "promtool", ["test", "rules", Self.prometheus.appendingPathComponent("tests.yml").path])
        #expect(tests.status == 0, "\(tests.output)")
    }

    @Test func everyAlertHasAUnitTest() throws {
        let alerts = try String(contentsOf: Self.prometheus.appendingPathComponent("alerts.yml"), encoding: .utf8)
        let tests = try String(contentsOf: Self.prometheus.appendingPathComponent("tests.yml"), encoding: .utf8)
        let names = alerts.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- alert: ") ? String(trimmed.dropFirst("- alert: ".count)) : nil
        }
        #expect(names.count == 7)
        for name in names {
            // One test that it stays quiet and one that it fires.
            let mentions = tests.components(separatedBy: "alertname: \(name)\n").count - 1
            #expect(mentions >= 2, "\(name) has \(mentions) alert_rule_test entries")
        }
    }

    @Test func theGrafanaDashboardIsWiredToItsVariables() throws {
        let url = DashboardIntegrationTests.repository.appendingPathComponent("dashboards/grafana/memoryd.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let variables = try #require((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]])
        #expect(variables.compactMap { $0["name"] as? String } == ["datasource", "instance", "job_type"])
        #expect(
            variables.first?["type"] as? String == "datasource" && variables.first?["query"] as? String == "prometheus")

        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(Set(ids).count == panels.count)
        var cells = Set<[Int]>()
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            let grid = try #require(panel["gridPos"] as? [String: Int], "\(title)")
            for x in grid["x"]!..<(grid["x"]! + grid["w"]!) {
                for y in grid["y"]!..<(grid["y"]! + grid["h"]!) {
                    #expect(cells.insert([x, y]).inserted, "\(title) overlaps another panel at \(x),\(y)")
                }
            }
            #expect(grid["x"]! + grid["w"]! <= 24, "\(title) is wider than the grid")
            guard panel["type"] as? String != "row" else { continue }
            #expect((panel["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(title)")
            let targets = try #require(panel["targets"] as? [[String: Any]], "\(title)")
            #expect(!targets.isEmpty, "\(title)")
            for expression in targets.compactMap({ $0["expr"] as? String }) {
                #expect(expression.contains(#"instance=~"$instance""#), "\(title): \(expression)")
                // Every range is Grafana's rate interval, which adapts to the scrape interval and the zoom.
                let ranges = expression.components(separatedBy: "[").dropFirst().map { $0.prefix { $0 != "]" } }
                #expect(ranges.allSatisfy { $0 == "$__rate_interval" }, "\(title): \(expression)")
            }
        }
        let titles = Set(panels.compactMap { $0["title"] as? String })
        for required in [
            "Task throughput by outcome", "Success ratio per job", "Task duration p50 / p90 / p99",
            "Queue wait p50 / p99",
            "Queue depth by state", "Worker utilization", "Pool saturation", "Pool wait p99", "Retries",
            "Alerts firing",
            "Events dropped", "Process CPU and memory",
        ] {
            #expect(titles.contains(required), "no panel \(required)")
        }
    }
}
