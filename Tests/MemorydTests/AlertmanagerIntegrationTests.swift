import Foundation
import Testing

/// memoryd sends its alerts to a real Alertmanager (Debian's package, loopback only, no cluster): a
/// firing alert arrives with its labels, and its resolution takes it out of Alertmanager's active alerts.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct AlertmanagerIntegrationTests {
    static let rules = """
        groups:
          - name: work
            rules:
              - alert: WorkRunning
                expr: jobkit_pool_slots_in_use{pool="work"} > 0
                labels:
                  severity: info
                annotations:
                  summary: "{{ $value }} slot(s) in use"
        """
    static let deadline: Duration = .seconds(60)

    @Test func aFiringAlertReachesAlertmanagerAndItsResolutionEndsIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("am-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let amConfig = directory.appendingPathComponent("alertmanager.yml")
        try "route:\n  receiver: none\nreceivers:\n  - name: none\n".write(
            to: amConfig, atomically: true, encoding: .utf8)
        let amPort = try freeLoopbackPort()
        let alertmanager = try ExternalProcess(
            "prometheus-alertmanager",
            [
                "--config.file=\(amConfig.path)", "--storage.path=\(directory.appendingPathComponent("am").path)",
                "--web.listen-address=127.0.0.1:\(amPort)", "--cluster.listen-address=", "--log.level=warn",
            ])
        let amAPI = "http://127.0.0.1:\(amPort)"
        _ = try await poll("Alertmanager to be ready", deadline: Self.deadline, context: { alertmanager.printed }) {
            (try? await runTool("curl", ["-sf", "\(amAPI)/-/ready"]))?.status == 0 ? true : nil
        }

        try Self.rules.write(to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        try """
        # The work job's own pool: its slot is in use exactly while it runs (the daemon's housekeeping
        # tasks run beside it, so the count of running tasks is not the test's to predict).
        [pools.work]
        slots = 1

        [jobs.work]
        command = ["sleep", "3"]
        pool = "work"

        [health]
        rule_files = ["rules.yml"]
        evaluation_interval = "1s"
        alertmanager = "\(amAPI)"
        external_labels = { region = "test" }
        """.write(to: directory.appendingPathComponent("memoryd.toml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", directory.appendingPathComponent("memoryd.toml").path])
        let port = try await daemon.waitForPort()
        #expect(
            try await runTool(DaemonProcess.binary.path, ["submit", "work", "--socket", daemon.socketPath]).status == 0)

        let received = try await poll("the alert in Alertmanager", deadline: Self.deadline) { () -> [String: Any]? in
            try await Self.activeAlerts(amAPI).first
        }
        #expect(
            received["labels"] as? [String: String]
                == [
                    "alertname": "WorkRunning", "pool": "work", "severity": "info", "job": "memoryd",
                    "instance": "127.0.0.1:\(port)", "region": "test",
                ])
        #expect((received["annotations"] as? [String: String])?["summary"] == "1 slot(s) in use")
        #expect(received["generatorURL"] as? String == "http://127.0.0.1:\(port)/v1/alerts")

        // The task ends after 3 s; memoryd sends the resolution and Alertmanager no longer lists the alert.
        _ = try await poll("the resolution", deadline: Self.deadline) {
            try await Self.activeAlerts(amAPI).isEmpty ? true : nil
        }
        #expect(try await daemon.terminate() == 0)
        #expect(alertmanager.stop() == 0, "Alertmanager: \(alertmanager.printed)")
    }

    static func activeAlerts(_ api: String) async throws -> [[String: Any]] {
        let output = try await runTool("curl", ["-sS", "\(api)/api/v2/alerts"]).output
        return try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] ?? []
    }
}
