import Foundation
import JobkitHealth
import Testing

/// The dashboards stay true to what memoryd exports: a real Prometheus scrapes a memoryd running
/// examples/pipeline.toml and loads dashboards/prometheus/*.yml; every query of the Grafana dashboard,
/// every template variable, every recording rule and the watched side of every alert must answer
/// without error and with data, and every rule must evaluate cleanly. memoryd loads the same rule files.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DashboardIntegrationTests {
    static let deadline: Duration = .seconds(120)
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
    static var ruleFiles: [URL] {
        ["recording.yml", "alerts.yml"].map { repository.appendingPathComponent("dashboards/prometheus/\($0)") }
    }
    /// Grafana's variables as the test sets them: every instance and job type, a 15 s rate window
    /// (Grafana's `$__rate_interval` for a 1 s scrape is at least four scrapes).
    static let variables = [("$__rate_interval", "15s"), ("$instance", ".*"), ("$job_type", ".*")]

    /// Expressions that are empty while nothing is wrong: which alerts fire (none do in a healthy run),
    /// besides the alert rules' own expressions, which are all quiet here.
    static let quiet: Set<String> = [
        #"sum by (alertname) (jobkit_alerts{instance=~".*", alertstate="firing"})"#,
        #"sum by (instance) (jobkit_alerts{alertname="TaskStuck", alertstate="firing"})"#,
    ]

    @Test func everyDashboardQueryAndRuleAnswersWithData() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString)")
        let home = directory.appendingPathComponent("home")
        let sessions = home.appendingPathComponent("sessions")
        try FileManager.default.createDirectory(at: sessions, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // memoryd itself loads the rule files.
        let rulesConfig = directory.appendingPathComponent("rules.toml")
        try """
        [health]
        rule_files = [\(Self.ruleFiles.map { "\"\($0.path)\"" }.joined(separator: ", "))]
        """.write(to: rulesConfig, atomically: true, encoding: .utf8)
        let loaded = try await runTool(DaemonProcess.binary.path, ["check-config", rulesConfig.path])
        #expect(loaded.status == 0, "memoryd check-config: \(loaded.output)")

        let example = Self.repository.appendingPathComponent("examples/pipeline.toml").path
        let daemon = try DaemonProcess(
            directory: directory, arguments: ["--config", example],
            environment: ["HOME": home.path, "XDG_STATE_HOME": directory.appendingPathComponent("xdg").path])
        let memorydPort = try await daemon.waitForPort()
        let prometheus = try PrometheusServer(
            scraping: memorydPort, in: directory.appendingPathComponent("prometheus"),
            ruleFiles: Self.ruleFiles.map(\.path))
        defer { prometheus.process.stop() }
        let api = prometheus.api
        _ = try await poll(
            "Prometheus to scrape memoryd", deadline: Self.deadline, context: { prometheus.process.printed }
        ) {
            (try? await PrometheusIntegrationTests.query(api, #"up{job="memoryd"}"#).first) == 1 ? true : nil
        }

        // Work arrives while Prometheus watches: three session files start three runs of the pipeline.
        for index in 1...3 {
            try "{\"turn\": 1}\n{\"turn\": 2}\n".write(
                to: sessions.appendingPathComponent("session-\(index).jsonl"), atomically: true, encoding: .utf8)
        }
        let memoryd = DaemonProcess.binary.path
        for job in ["decay", "health"] {
            #expect(try await runTool(memoryd, ["submit", job, "--socket", daemon.socketPath]).status == 0)
        }
        // extract, consolidate, digest, knowledge for each session, plus decay and health.
        let finished = #"sum(jobkit_tasks_total{outcome="success", job!="housekeeping"})"#
        _ = try await poll("Prometheus to see the pipeline's 14 successes", deadline: Self.deadline) {
            (try await PrometheusIntegrationTests.query(api, finished).first ?? 0) >= 14 ? true : nil
        }

        // Every query answers once Prometheus has a few scrapes of the finished work; until the deadline,
        // a query may still lack its second sample.
        var failures: [String] = []
        _ = try? await poll("every query to answer with data", deadline: .seconds(30), every: .seconds(1)) {
            failures = try await Self.problems(api)
            return failures.isEmpty ? true : nil
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(prometheus.process.stop() == 0, "Prometheus: \(prometheus.process.printed)")
        #expect(try await daemon.terminate() == 0)
    }

    /// What is wrong with the dashboard's queries, its variables and the rules, as Prometheus answers them.
    static func problems(_ api: String) async throws -> [String] {
        var failures: [String] = []
        for expression in try dashboardQueries() {
            failures += try await check(api, expression)
        }
        for (label, match) in try templateVariables() where try await labelValues(api, label, match).isEmpty {
            failures.append("label_values(\(match), \(label)) has no values")
        }
        let groups = try ruleFiles.flatMap { try RuleFile.load(path: $0.path) }
        for rule in groups.flatMap(\.rules) {
            switch rule.kind {
            case .record(let name):
                failures += try await check(api, rule.expressionText) + check(api, name)
            case .alert(let name):
                // The whole expression is quiet in a healthy run; what it watches must have data.
                guard let watched = watchedSide(rule.expressionText) else {
                    failures.append("alert \(name) compares nothing")
                    continue
                }
                failures += try await check(api, rule.expressionText, mayBeEmpty: true) + check(api, watched)
            }
        }
        return try await failures + unhealthyRules(api)
    }

    /// Every `expr` of the dashboard's panels, with the test's variables.
    static func dashboardQueries() throws -> [String] {
        let data = try Data(contentsOf: repository.appendingPathComponent("dashboards/grafana/memoryd.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap {
            ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        return expressions.map(substitute)
    }

    /// The `label_values(MATCH, LABEL)` queries of the dashboard's template variables.
    static func templateVariables() throws -> [(label: String, match: String)] {
        let data = try Data(contentsOf: repository.appendingPathComponent("dashboards/grafana/memoryd.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        return variables.compactMap { variable -> (String, String)? in
            guard variable["type"] as? String == "query", let definition = variable["definition"] as? String,
                definition.hasPrefix("label_values("), let comma = definition.lastIndex(of: ",")
            else { return nil }
            let match = definition[definition.index(definition.startIndex, offsetBy: "label_values(".count)..<comma]
            let label = definition[definition.index(after: comma)...].dropLast().trimmingCharacters(in: .whitespaces)
            return (label, substitute(String(match)))
        }
    }

    static func substitute(_ expression: String) -> String {
        variables.reduce(expression) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    /// The side of an alert's expression that is compared with its threshold.
    static func watchedSide(_ expression: String) -> String? {
        let text = expression.replacingOccurrences(of: "\n", with: " ")
        guard let comparison = text.range(of: #" (>=|<=|==|!=|>|<) "#, options: [.regularExpression, .backwards])
        else { return nil }
        return text[..<comparison.lowerBound].trimmingCharacters(in: .whitespaces)
    }

    /// Problems with `expression` in Prometheus: an error, or no data unless it is meant to be quiet.
    static func check(_ api: String, _ expression: String, mayBeEmpty: Bool = false) async throws -> [String] {
        let result = try await runTool(
            "curl", ["-sS", "--get", "--data-urlencode", "query=\(expression)", "\(api)/api/v1/query"])
        guard let document = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
            document["status"] as? String == "success", let data = document["data"] as? [String: Any]
        else { return ["\(expression): \(result.output)"] }
        let empty = (data["result"] as? [Any])?.isEmpty ?? true
        return empty && !mayBeEmpty && !quiet.contains(expression) ? ["\(expression): no data"] : []
    }

    static func labelValues(_ api: String, _ label: String, _ match: String) async throws -> [String] {
        let result = try await runTool(
            "curl", ["-sS", "--get", "--data-urlencode", "match[]=\(match)", "\(api)/api/v1/label/\(label)/values"])
        let document = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        return document?["data"] as? [String] ?? []
    }

    /// Rules Prometheus could not evaluate, with its error.
    static func unhealthyRules(_ api: String) async throws -> [String] {
        let result = try await runTool("curl", ["-sS", "\(api)/api/v1/rules"])
        let document = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let groups = (document?["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
        let rules = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        guard rules.count == 15 else { return ["Prometheus loaded \(rules.count) rules, not 15: \(result.output)"] }
        return rules.compactMap { rule in
            rule["health"] as? String == "ok"
                ? nil : "rule \(rule["name"] ?? "?") is \(rule["health"] ?? "?"): \(rule["lastError"] ?? "")"
        }
    }
}
