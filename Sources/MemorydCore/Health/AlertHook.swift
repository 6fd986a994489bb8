import FoundationEssentials
import Jobkit
import JobkitHealth

/// `health.notify_command`: runs once each time an alert starts firing and once when it resolves, one
/// run at a time in the order of the changes, so a slow hook delays only itself. The alert is in the
/// environment:
///
/// | variable | value |
/// | --- | --- |
/// | `MEMORYD_ALERT_NAME` | `alertname` |
/// | `MEMORYD_ALERT_STATE` | `firing` or `resolved` |
/// | `MEMORYD_ALERT_SEVERITY` | the `severity` label, or empty |
/// | `MEMORYD_ALERT_SUMMARY` | the `summary` annotation, or empty |
/// | `MEMORYD_ALERT_VALUE` | the value, as `/v1/alerts` prints it |
/// | `MEMORYD_ALERT_ACTIVE_AT` | when it became active (RFC 3339) |
/// | `MEMORYD_ALERT_JSON` | the alert as Alertmanager receives it: labels, annotations, startsAt, endsAt, generatorURL |
final class AlertHook: Sendable {
    private let command: [String]
    private let timeout: Duration
    private let generatorURL: String
    private let changes: AsyncStream<AlertTransition>.Continuation
    private let worker: Task<Void, Never>
    private let onFailure: @Sendable (String) -> Void

    /// Changes waiting for the hook beyond which new ones are dropped, with an event saying so (100).
    static let queueLimit = 100

    init(
        command: [String], timeout: Duration, generatorURL: String,
        onFailure: @escaping @Sendable (String) -> Void
    ) {
        self.command = command
        self.timeout = timeout
        self.generatorURL = generatorURL
        self.onFailure = onFailure
        let (stream, continuation) = AsyncStream.makeStream(
            of: AlertTransition.self, bufferingPolicy: .bufferingOldest(Self.queueLimit))
        changes = continuation
        worker = Task { [command, timeout, generatorURL] in
            for await change in stream {
                let environment = Self.environment(for: change, generatorURL: generatorURL)
                let outcome = await ShortCommand(
                    argv: command, environment: environment, workingDirectory: nil, timeout: timeout
                ).run()
                if let failure = Self.failure(of: outcome, command: command, timeout: timeout) {
                    onFailure("notify_command for \(change.alert.name) \(failure)")
                }
            }
        }
    }

    /// Queues the hook for `change` if it is a start of firing or a resolution.
    func send(_ change: AlertTransition) {
        let isFiring = change.to == .firing
        let isResolved = change.from == .firing && change.to == .inactive
        guard isFiring || isResolved else { return }
        if case .dropped = changes.yield(change) {
            onFailure(
                "notify_command is \(Self.queueLimit) alert changes behind; \(change.alert.name) becoming \(isFiring ? "firing" : "resolved") is not sent to it"
            )
        }
    }

    /// Runs what is queued, then stops.
    func finish() { changes.finish() }

    static func environment(for change: AlertTransition, generatorURL: String) -> [String: String] {
        let alert = change.alert
        let state = change.to == .firing ? "firing" : "resolved"
        var json: [UInt8] = []
        var fields: [String: JSONValue] = [
            "labels": .object(alert.labels.mapValues(JSONValue.string)),
            "annotations": .object(alert.annotations.mapValues(JSONValue.string)),
            "startsAt": .string(AlertmanagerNotifier.timestamp(alert.firedAt ?? alert.activeAt)),
            "generatorURL": .string(generatorURL),
        ]
        if let resolvedAt = alert.resolvedAt, change.to == .inactive {
            fields["endsAt"] = .string(AlertmanagerNotifier.timestamp(resolvedAt))
        }
        JSONValue.object(fields).append(to: &json)
        return [
            "MEMORYD_ALERT_NAME": alert.name,
            "MEMORYD_ALERT_STATE": state,
            "MEMORYD_ALERT_SEVERITY": alert.labels["severity"] ?? "",
            "MEMORYD_ALERT_SUMMARY": alert.annotations["summary"] ?? "",
            "MEMORYD_ALERT_VALUE": GoFormat.exponent(alert.value),
            "MEMORYD_ALERT_ACTIVE_AT": AlertmanagerNotifier.timestamp(alert.activeAt),
            "MEMORYD_ALERT_JSON": String(decoding: json, as: UTF8.self),
        ]
    }

    /// Why a run of the hook failed, or `nil` when it exited 0.
    static func failure(of outcome: ShortCommand.Outcome, command: [String], timeout: Duration) -> String? {
        if outcome.timedOut { return "did not finish within \(MemorydConfig.compact(timeout))" }
        switch outcome.status {
        case .exited(0): return nil
        case .exited(let code): return "exited with status \(code)" + (outcome.output.isEmpty ? "" : ": \(outcome.output)")
        case .signalled(let signal): return "was killed by signal \(signal)"
        case nil: return "could not start: \(outcome.output)"
        }
    }
}
