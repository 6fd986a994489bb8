import Foundation
import Testing

/// Real responses of the daemon checked against the OpenAPI document by an independent validator
/// (Python's jsonschema, Draft 2020-12, which OpenAPI 3.1 schemas are).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct OpenAPIConformanceTests {
    static var specPath: String {
        ConfigTests.repositoryRoot.appendingPathComponent("Sources/MemorydCore/API/openapi.yaml").path
    }

    /// Reads cases (path template, method, status, media type, body) as JSON lines and validates each body
    /// against the response schema the document gives for that status; prints one line per failure.
    static let validator = """
        import json, sys, yaml, jsonschema
        spec = yaml.safe_load(open(sys.argv[1]))
        def rewrite(node):
            if isinstance(node, dict):
                return {k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else rewrite(v)) for k, v in node.items()}
            if isinstance(node, list):
                return [rewrite(v) for v in node]
            return node
        defs = rewrite(spec["components"]["schemas"])
        failures = 0
        for line in sys.stdin:
            case = json.loads(line)
            where = f'{case["method"].upper()} {case["path"]} {case["status"]}'
            try:
                response = spec["paths"][case["path"]][case["method"]]["responses"][str(case["status"])]
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
                schema = rewrite(response["content"][case["media"]]["schema"])
                jsonschema.validate(case["body"], {"$defs": defs, "allOf": [schema]})
            except KeyError as missing:
                failures += 1
                print(f"{where}: not documented ({missing})")
            except jsonschema.ValidationError as error:
                failures += 1
                print(f"{where}: {error.message} at {list(error.absolute_path)}")
        print(f"checked, {failures} failures")
        sys.exit(1 if failures else 0)
        """

    @Test func everyResponseMatchesTheDocument() async throws {
        let fixture = try await TasksAPIEndToEndTests.Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.config) }
        var lines: [String] = []
        func record(_ template: String, _ method: String, _ path: String, body: String? = nil, tcp: Bool = false)
            async throws
            -> [String: Any]
        {
            let answer = try await fixture.call(method, path, body: body, tcp: tcp)
            let object = try JSONSerialization.data(withJSONObject: answer.json)
            lines.append(
                #"{"path": "\#(template)", "method": "\#(method.lowercased())", "status": \#(answer.status), "media": "application/json", "body": \#(String(decoding: object, as: UTF8.self))}"#
            )
            return answer.json
        }

        _ = try await record("/healthz", "GET", "/healthz")
        _ = try await record("/readyz", "GET", "/readyz")
        _ = try await record("/v1/alerts", "GET", "/v1/alerts")
        _ = try await record("/v1/status", "GET", "/v1/status")
        _ = try await record("/v1/metrics", "GET", "/v1/metrics")
        let schedules = try await record("/v1/schedules", "GET", "/v1/schedules")
        let nightly = try #require((schedules["schedules"] as? [[String: Any]])?.first)
        #expect(nightly["job"] as? String == "nightly" && nightly["timezone"] as? String == "Europe/Berlin")
        #expect(nightly["jitterSeconds"] as? Double == 300 && nightly["catchUp"] as? Bool == true)
        #expect((nightly["nextFire"] as? String)?.hasSuffix(":30:00Z") == true, "\(nightly)")
        #expect(try await record("/v1/jobs/{name}/pause", "POST", "/v1/jobs/nightly/pause")["paused"] as? Bool == true)
        let pausedSchedules = try await record("/v1/schedules", "GET", "/v1/schedules")
        #expect((pausedSchedules["schedules"] as? [[String: Any]])?.first?["paused"] as? Bool == true)
        #expect(try await record("/v1/jobs/{name}/resume", "POST", "/v1/jobs/nightly/resume")["paused"] as? Bool == false)
        _ = try await record("/v1/jobs/{name}/pause", "POST", "/v1/jobs/ghost/pause")
        let submitted = try await record(
            "/v1/tasks", "POST", "/v1/tasks", body: #"{"job": "greet", "params": {"name": "x"}}"#)
        let id = try #require(submitted["id"] as? String)
        _ = try await poll("the task to finish", deadline: .seconds(30)) {
            try await fixture.state(of: id) == "succeeded" ? true : nil
        }
        _ = try await record("/v1/tasks/{id}", "GET", "/v1/tasks/\(id)")
        _ = try await record("/v1/tasks", "GET", "/v1/tasks")
        _ = try await record("/v1/tasks/{id}", "DELETE", "/v1/tasks/\(id)")
        let slow = try await #require(
            try record("/v1/tasks", "POST", "/v1/tasks", body: #"{"job": "slow"}"#)["id"] as? String)
        // slow is unique: a second equal run is refused, naming the first.
        let duplicate = try await record("/v1/tasks", "POST", "/v1/tasks", body: #"{"job": "slow"}"#)
        let detail = try #require(duplicate["error"] as? [String: Any])
        #expect(detail["code"] as? String == "duplicate_run")
        #expect((detail["run"] as? String)?.hasPrefix("run-") == true)
        _ = try await record("/v1/tasks/{id}", "DELETE", "/v1/tasks/\(slow)")
        _ = try await record("/v1/tasks", "POST", "/v1/tasks", body: "{not json")
        _ = try await record("/v1/tasks", "POST", "/v1/tasks", body: #"{"job": "ghost"}"#)
        _ = try await record("/v1/tasks", "POST", "/v1/tasks", body: #"{"job": "greet"}"#, tcp: true)
        _ = try await record("/v1/tasks/{id}", "GET", "/v1/tasks/t999999")
        _ = try await record("/v1/tasks/{id}", "GET", "/v1/tasks/nope")
        _ = try await record("/v1/reload", "POST", "/v1/reload")
        _ = try await record("/v1/events", "GET", "/v1/events?level=loud")

        let events = try await runTool(
            "curl", ["-sS", "--unix-socket", fixture.daemon.socketPath, "http://localhost/v1/events?follow=false"])
        for line in events.output.split(separator: "\n") {
            lines.append(
                #"{"path": "/v1/events", "method": "get", "status": 200, "media": "application/x-ndjson", "body": \#(line)}"#
            )
        }
        #expect(lines.count > 20)

        let result = try await runTool(
            "python3", ["-c", Self.validator, Self.specPath], input: Data(lines.joined(separator: "\n").utf8))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("checked, 0 failures"))

        // The daemon serves the document in the repository, byte for byte.
        let served = try await runTool(
            "curl", ["-sS", "--unix-socket", fixture.daemon.socketPath, "http://localhost/v1/openapi.yaml"])
        #expect(served.output == (try String(contentsOfFile: Self.specPath, encoding: .utf8)))
        #expect(try await fixture.daemon.terminate() == 0)
    }
}
