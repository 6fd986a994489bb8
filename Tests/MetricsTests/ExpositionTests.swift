import JobkitMetrics
import Testing

/// Golden tests: the exact text both formats produce for a small registry.
struct ExpositionTests {
    static let created = 1_700_000_000.25

    func sampleRegistry() throws -> MetricsRegistry {
        let registry = MetricsRegistry(histogramStripes: 2, wallClock: { ExpositionTests.created })
        let tasks = try registry.counter(
            "jobkit_tasks_total", help: "Tasks finished, by job and outcome.", labelNames: ["job", "outcome"])
        try tasks.labels("extract", "success").increment(by: 3)
        try tasks.labels("digest", "failure").increment()
        let depth = try registry.gauge("jobkit_queue_depth", help: "Tasks by state.", labelNames: ["state"])
        try depth.labels("running").set(2)
        try depth.labels("pending").set(0.5)
        let quoted = try registry.gauge("odd_values", help: "Help with \\ and\nnewline.", labelNames: ["path"])
        try quoted.labels("C:\\dir \"x\"\nend").set(-1)
        let duration = try registry.histogram(
            "jobkit_task_duration_seconds", help: "Run time.", labelNames: ["job"], buckets: Buckets([0.1, 1]),
            unit: "seconds")
        let extract = try duration.labels("extract")
        extract.observe(0.05)
        extract.observe(0.5)
        extract.observe(2.25)
        _ = try registry.gauge("idle", help: "Unlabelled gauges start at zero.")
        return registry
    }

    @Test func prometheusTextGolden() throws {
        let text = String(decoding: PrometheusText.render(try sampleRegistry().collect()), as: UTF8.self)
        #expect(
            text == #"""
                # HELP idle Unlabelled gauges start at zero.
                # TYPE idle gauge
                idle 0
                # HELP jobkit_queue_depth Tasks by state.
                # TYPE jobkit_queue_depth gauge
                jobkit_queue_depth{state="pending"} 0.5
                jobkit_queue_depth{state="running"} 2
                # HELP jobkit_task_duration_seconds Run time.
                # TYPE jobkit_task_duration_seconds histogram
                jobkit_task_duration_seconds_bucket{job="extract",le="0.1"} 1
                jobkit_task_duration_seconds_bucket{job="extract",le="1.0"} 2
                jobkit_task_duration_seconds_bucket{job="extract",le="+Inf"} 3
                jobkit_task_duration_seconds_sum{job="extract"} 2.8
                jobkit_task_duration_seconds_count{job="extract"} 3
                # HELP jobkit_tasks_total Tasks finished, by job and outcome.
                # TYPE jobkit_tasks_total counter
                jobkit_tasks_total{job="digest",outcome="failure"} 1
                jobkit_tasks_total{job="extract",outcome="success"} 3
                # HELP odd_values Help with \\ and\nnewline.
                # TYPE odd_values gauge
                odd_values{path="C:\\dir \"x\"\nend"} -1

                """#)
    }

    @Test func openMetricsGolden() throws {
        let text = String(decoding: OpenMetricsText.render(try sampleRegistry().collect()), as: UTF8.self)
        #expect(
            text == #"""
                # TYPE idle gauge
                # HELP idle Unlabelled gauges start at zero.
                idle 0
                # TYPE jobkit_queue_depth gauge
                # HELP jobkit_queue_depth Tasks by state.
                jobkit_queue_depth{state="pending"} 0.5
                jobkit_queue_depth{state="running"} 2
                # TYPE jobkit_task_duration_seconds histogram
                # UNIT jobkit_task_duration_seconds seconds
                # HELP jobkit_task_duration_seconds Run time.
                jobkit_task_duration_seconds_bucket{job="extract",le="0.1"} 1
                jobkit_task_duration_seconds_bucket{job="extract",le="1.0"} 2
                jobkit_task_duration_seconds_bucket{job="extract",le="+Inf"} 3
                jobkit_task_duration_seconds_sum{job="extract"} 2.8
                jobkit_task_duration_seconds_count{job="extract"} 3
                jobkit_task_duration_seconds_created{job="extract"} 1700000000.25
                # TYPE jobkit_tasks counter
                # HELP jobkit_tasks Tasks finished, by job and outcome.
                jobkit_tasks_total{job="digest",outcome="failure"} 1
                jobkit_tasks_created{job="digest",outcome="failure"} 1700000000.25
                jobkit_tasks_total{job="extract",outcome="success"} 3
                jobkit_tasks_created{job="extract",outcome="success"} 1700000000.25
                # TYPE odd_values gauge
                # HELP odd_values Help with \\ and\nnewline.
                odd_values{path="C:\\dir \"x\"\nend"} -1
                # EOF

                """#)
    }

    @Test(
        arguments: [
            (nil, ExpositionFormat.prometheusText),
            ("text/plain", .prometheusText),
            ("application/json", .prometheusText),
            ("application/openmetrics-text; version=1.0.0; charset=utf-8", .openMetrics),
            (
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                    + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", .openMetrics
            ),
            ("text/plain;q=0.9, application/openmetrics-text;q=0.5", .prometheusText),
            ("application/openmetrics-text;version=2.0.0, text/plain;q=0.1", .prometheusText),
        ] as [(String?, ExpositionFormat)])
    func acceptHeadersPickTheFormatByQuality(accept: String?, expected: ExpositionFormat) {
        #expect(ExpositionFormat.negotiate(accept: accept) == expected)
    }

    @Test func contentTypesAreTheStandardOnes() {
        #expect(ExpositionFormat.prometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(
            ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }
}
