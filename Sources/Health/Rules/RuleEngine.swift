public import JobkitMetrics
import Synchronization

/// Evaluates rule groups over the samples of a registry, keeping each alerting rule's alerts through
/// inactive → pending → firing → resolved as Prometheus does.
public final class RuleEngine: Sendable {
    /// What one evaluation of a group did.
    public struct Evaluation: Sendable {
        public var transitions: [AlertTransition] = []
        /// Rules whose expression failed, with why; their alerts kept their state.
        public var failures: [(rule: String, reason: String)] = []
    }

    public let groups: [RuleGroup]
    /// Milliseconds between evaluations of groups without an interval of their own.
    public let defaultIntervalMilliseconds: Int64
    /// The samples the rules read: registry scrapes and recording rules' results.
    public let store: SeriesStore
    private let alerts = Mutex<[[Labels: Alert]]>([])
    /// Alerts of ``AlertSource`` rules (watchdogs, health checks), by rule name.
    private let nativeAlerts = Mutex<[String: [Labels: Alert]]>([:])
    /// Indices into `alerts` of each group's rules.
    private let ruleSlots: [[Int]]

    /// How long a resolved alert is kept (and re-sent) before it is forgotten (Prometheus: 15 minutes).
    public static let resolvedRetentionMilliseconds: Int64 = 15 * 60_000

    /// Prometheus's `global.external_labels`: templates see them as `$externalLabels`; whoever sends
    /// alerts out adds them (``Alert/adding(externalLabels:)``).
    public let externalLabels: Labels
    /// The URL templates see as `$externalURL` and `externalURL`.
    public let externalURL: String

    /// - Parameter targetLabels: what every registry series is labelled with, as a Prometheus scrape
    ///   labels its target's (`job`, `instance`), so rules mean the same here and in Prometheus.
    public init(
        groups: [RuleGroup], defaultIntervalMilliseconds: Int64, targetLabels: Labels = [:],
        externalLabels: Labels = [:], externalURL: String = ""
    ) {
        self.groups = groups
        self.externalLabels = externalLabels
        self.externalURL = externalURL
        self.defaultIntervalMilliseconds = defaultIntervalMilliseconds
        let rules = groups.flatMap(\.rules)
        // What templates query by a constant expression is kept too; a query built while a template
        // runs sees only what the rules and those constant queries read.
        let templateQueries = rules.flatMap { rule in
            (rule.labels + rule.annotations).flatMap(\.template.queryExpressions).compactMap { try? PromQLParser.parse($0) }
        }
        let expressions = rules.map(\.expression) + templateQueries
        let reach = expressions.map { $0.reach(lookback: PromQLEvaluator.defaultLookbackMilliseconds) }.max() ?? 0
        let longestInterval = groups.map { $0.intervalMilliseconds ?? defaultIntervalMilliseconds }.max() ?? 0
        // Ranges, offsets and subqueries need their whole window, instant selectors their lookback.
        store = SeriesStore(
            retentionMilliseconds: reach + longestInterval, selectors: expressions.flatMap(\.selectors),
            targetLabels: targetLabels)
        var slots: [[Int]] = []
        var next = 0
        for group in groups {
            slots.append(
                group.rules.indices.map { _ in
                    defer { next += 1 }; return next
                })
        }
        ruleSlots = slots
        alerts.withLock { $0 = Array(repeating: [:], count: next) }
    }

    /// Milliseconds between evaluations of `group`.
    public func interval(of group: RuleGroup) -> Int64 { group.intervalMilliseconds ?? defaultIntervalMilliseconds }

    /// Records `families` as the samples at `time` and evaluates group `index` over the store.
    public func evaluate(group index: Int, at time: Int64, families: [FamilySnapshot]) -> Evaluation {
        store.write(families, at: time)
        var evaluation = Evaluation()
        let evaluator = PromQLEvaluator(source: store, defaultStepMilliseconds: interval(of: groups[index]))
        let environment = templateEnvironment(evaluator, at: time)
        let limit = groups[index].limit
        for (rule, slot) in zip(groups[index].rules, ruleSlots[index]) {
            let samples: [PromQLSample]
            do {
                samples = try evaluator.evaluate(rule.expression, at: time).samples
            } catch {
                evaluation.failures.append((rule.name, "\(error)"))
                continue
            }
            switch rule.kind {
            case .record(let name):
                do {
                    let recorded = try Self.recorded(samples, name: name, labels: rule.labels, limit: limit)
                    store.write(recorded.map { (LabelSet($0.key), $0.value) }, writer: slot, at: time)
                } catch {
                    evaluation.failures.append((rule.name, "\(error)"))
                }
            case .alert:
                do {
                    let transitions = try alerts.withLock { alerts in
                        try Self.update(
                            &alerts[slot], rule: rule, group: groups[index].name,
                            samples: samples.map { AlertSample(labels: $0.labels, value: $0.value) }, at: time,
                            environment: environment, limit: limit)
                    }
                    evaluation.transitions += transitions
                } catch {
                    evaluation.failures.append((rule.name, "\(error)"))
                }
            }
        }
        return evaluation
    }

    /// Runs the alert lifecycle of `source`'s rule over the samples it gives now.
    public func evaluate(_ source: any AlertSource, group: String, at time: Int64) -> Evaluation {
        let rule = source.alertRule
        let samples = source.alertSamples()
        var evaluation = Evaluation()
        do {
            evaluation.transitions = try nativeAlerts.withLock { alerts in
                try Self.update(
                    &alerts[rule.name, default: [:]], rule: rule, group: group, samples: samples, at: time,
                    environment: AlertTemplate.Environment(externalLabels: externalLabels, externalURL: externalURL),
                    limit: 0)
            }
        } catch {
            evaluation.failures.append((rule.name, "\(error)"))
        }
        return evaluation
    }

    /// What templates see at `time`: the external labels and URL, and `query` run by `evaluator` at `time`.
    private func templateEnvironment(_ evaluator: PromQLEvaluator, at time: Int64) -> AlertTemplate.Environment {
        AlertTemplate.Environment(externalLabels: externalLabels, externalURL: externalURL) { text in
            let expression = try PromQLParser.parse(text)
            return try evaluator.evaluate(expression, at: time).samples.map {
                TemplateSample(labels: $0.labels, value: $0.value)
            }
        }
    }

    /// Pending and firing alerts (and those kept firing), as `/v1/alerts` lists them.
    public var activeAlerts: [Alert] {
        (alerts.withLock { $0.flatMap(\.values) } + nativeAlerts.withLock { $0.values.flatMap(\.values) })
            .filter { $0.state != .inactive }
            .sorted { ($0.name, $0.labels.promQLDescription) < ($1.name, $1.labels.promQLDescription) }
    }

    /// The alerts of group `index` due to be sent to Alertmanager at `time`: firing ones every
    /// `resendDelay`, resolved ones until they are forgotten. Marks them sent.
    public func alertsToSend(group index: Int, at time: Int64, resendDelayMilliseconds: Int64) -> [Alert] {
        let validFor = 4 * max(resendDelayMilliseconds, interval(of: groups[index]))
        return alerts.withLock { alerts in
            ruleSlots[index].flatMap {
                Self.due(&alerts[$0], at: time, resendDelay: resendDelayMilliseconds, validFor: validFor)
            }
        }
    }

    /// The alerts of ``AlertSource`` rule `name` due to be sent at `time`, as for a group on the default interval.
    public func alertsToSend(native name: String, at time: Int64, resendDelayMilliseconds: Int64) -> [Alert] {
        let validFor = 4 * max(resendDelayMilliseconds, defaultIntervalMilliseconds)
        return nativeAlerts.withLock { alerts in
            Self.due(&alerts[name, default: [:]], at: time, resendDelay: resendDelayMilliseconds, validFor: validFor)
        }
    }

    /// Prometheus' `needsSending`: never pending alerts; resolved ones until sent; firing ones every `resendDelay`.
    private static func due(_ alerts: inout [Labels: Alert], at time: Int64, resendDelay: Int64, validFor: Int64)
        -> [Alert]
    {
        var due: [Alert] = []
        for (labels, var alert) in alerts where alert.state != .pending {
            let resolvedSinceSent = (alert.resolvedAt ?? .min) > (alert.lastSentAt ?? .min)
            guard alert.lastSentAt == nil || resolvedSinceSent || alert.lastSentAt! + resendDelay < time else {
                continue
            }
            alert.lastSentAt = time
            alert.validUntil = time + validFor
            alerts[labels] = alert
            due.append(alert)
        }
        return due
    }

    private struct RuleFailure: Error, CustomStringConvertible {
        var description: String
    }

    private static func recorded(
        _ samples: [PromQLSample], name: String, labels: [(name: String, template: AlertTemplate)], limit: Int
    ) throws -> [Labels: Double] {
        var output: [Labels: Double] = [:]
        for sample in samples {
            var recorded = sample.labels
            recorded["__name__"] = name
            for (label, template) in labels { recorded[label] = template.source.isEmpty ? nil : template.source }
            guard output.updateValue(sample.value, forKey: recorded) == nil else {
                throw RuleFailure(
                    description: "vector contains metrics with the same labelset after applying rule labels")
            }
        }
        if limit > 0 && output.count > limit {
            throw RuleFailure(description: "exceeded limit of \(limit) with \(output.count) series")
        }
        return output
    }

    /// One evaluation of an alerting rule: new alerts pend, pending ones fire after `for`, missing ones resolve.
    private static func update(
        _ alerts: inout [Labels: Alert], rule: Rule, group: String, samples: [AlertSample], at time: Int64,
        environment: AlertTemplate.Environment, limit: Int
    ) throws -> [AlertTransition] {
        var current: [Labels: (value: Double, annotations: [String: String])] = [:]
        for sample in samples {
            var labels = sample.labels.droppingName
            for (name, template) in rule.labels {
                let value = template.expand(labels: sample.labels, value: sample.value, environment: environment)
                labels[name] = value.isEmpty ? nil : value
            }
            labels["alertname"] = rule.name
            let annotations = Dictionary(
                uniqueKeysWithValues: rule.annotations.map {
                    ($0.name, $0.template.expand(labels: sample.labels, value: sample.value, environment: environment))
                }
            ).merging(sample.annotations) { _, given in given }
            guard current.updateValue((sample.value, annotations), forKey: labels) == nil else {
                throw RuleFailure(
                    description: "vector contains metrics with the same labelset after applying alert labels")
            }
        }
        var transitions: [AlertTransition] = []
        for (labels, result) in current {
            if var alert = alerts[labels], alert.state != .inactive {
                alert.value = result.value
                alert.annotations = result.annotations
                alerts[labels] = alert
            } else {
                let alert = Alert(
                    labels: labels, annotations: result.annotations, state: .pending, activeAt: time,
                    value: result.value,
                    group: group, expression: rule.expressionText)
                alerts[labels] = alert
                transitions.append(AlertTransition(alert: alert, from: nil, to: .pending))
            }
        }
        for (labels, var alert) in alerts {
            guard current[labels] != nil else {
                switch alert.state {
                case .pending:
                    alerts[labels] = nil
                    alert.state = .inactive
                    transitions.append(AlertTransition(alert: alert, from: .pending, to: .inactive))
                case .firing:
                    if rule.keepFiringForMilliseconds > 0 {
                        let since = alert.keepFiringSince ?? time
                        alert.keepFiringSince = since
                        alerts[labels] = alert
                        if time - since < rule.keepFiringForMilliseconds { continue }
                    }
                    alert.state = .inactive
                    alert.resolvedAt = time
                    alerts[labels] = alert
                    transitions.append(AlertTransition(alert: alert, from: .firing, to: .inactive))
                case .inactive:
                    if let resolved = alert.resolvedAt, time - resolved > resolvedRetentionMilliseconds {
                        alerts[labels] = nil
                    }
                }
                continue
            }
            alert.keepFiringSince = nil
            if alert.state == .pending && time - alert.activeAt >= rule.forMilliseconds {
                alert.state = .firing
                alert.firedAt = time
                transitions.append(AlertTransition(alert: alert, from: .pending, to: .firing))
            }
            alerts[labels] = alert
        }
        if limit > 0 && alerts.count > limit {
            let count = alerts.count
            alerts = [:]
            throw RuleFailure(description: "exceeded limit of \(limit) with \(count) alerts")
        }
        return transitions
    }
}
