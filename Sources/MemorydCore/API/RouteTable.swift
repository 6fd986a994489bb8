import FoundationEssentials
import JobkitDaemon
import JobkitMetrics

/// The whole API memoryd serves, in one list. `API/openapi.yaml` documents the same routes with the same
/// access (`x-memoryd-access`); `RouteTableTests` holds the two together.
struct RouteTable: Sendable {
    let registry: MetricsRegistry
    let status: @Sendable () -> StatusSnapshot
    let events: EventsEndpoint
    let tasks: TasksAPI
    let taskLog: TaskLogAPI
    let jobs: JobsAPI
    let schedules: SchedulesAPI
    let health: HealthMonitor
    let readiness: @Sendable () -> HTTPResponse
    let reload: @Sendable () -> HTTPResponse

    var routes: [Route] {
        [
            Route(.get, "/metrics", .open) { request in
                let format = ExpositionFormat.negotiate(accept: request.header("Accept"))
                return HTTPResponse(contentType: format.contentType, body: format.render(registry.collect()))
            },
            Route(.get, "/v1/metrics", .open) { _ in
                HTTPResponse(contentType: JSONSnapshot.contentType, body: JSONSnapshot.render(registry.collect()))
            },
            Route(.get, "/healthz", .open) { _ in health.liveness() },
            Route(.get, "/readyz", .open) { _ in readiness() },
            Route(.get, "/v1/alerts", .open) { _ in health.alertsResponse() },
            // Handlers run on the HTTP threads; the ones that wait for the store (a read behind a commit, or
            // a commit of their own) or read files run on a thread of their own. Submits hand their
            // commit on and answer from its completion (TasksAPI).
            Route(.get, "/v1/schedules", .open) { _ in .blocking { schedules.list() } },
            Route(.get, "/v1/openapi.yaml", .open) { _ in
                HTTPResponse(contentType: "application/yaml", body: PackageResources.openapi_yaml)
            },
            Route(.get, "/v1/status", .read) { _ in Self.statusResponse(status()) },
            Route(.get, "/v1/events", .read) { request in events.respond(to: request) },
            Route(.get, "/v1/tasks", .read) { request in tasks.list(request) },
            Route(.get, "/v1/tasks/{id}", .read) { request in tasks.show(request) },
            Route(.get, "/v1/tasks/{id}/log", .read) { request in .blocking { taskLog.respond(request) } },
            Route(.post, "/v1/tasks", .mutate) { request in tasks.submit(request) },
            Route(.post, "/v1/tasks:batch", .mutate) { request in tasks.submitBatch(request) },
            Route(.delete, "/v1/tasks/{id}", .mutate) { request in tasks.cancel(request) },
            Route(.post, "/v1/jobs/{name}/pause", .mutate) { request in
                .blocking { jobs.set(request, paused: true) }
            },
            Route(.post, "/v1/jobs/{name}/resume", .mutate) { request in
                .blocking { jobs.set(request, paused: false) }
            },
            Route(.post, "/v1/reload", .mutate) { _ in .blocking { reload() } },
        ] + WebPage.routes
    }

    private static func statusResponse(_ snapshot: StatusSnapshot) -> HTTPResponse {
        do {
            return .json(Array(try snapshot.encoded()) + [10])
        } catch {
            return .error(500, code: "internal", message: "could not encode the status: \(error)")
        }
    }
}
