import JobkitDaemon

extension MemorydConfig {
    /// Reads `[daemon]` over the defaults in `settings`.
    static func daemon(
        _ reader: inout ConfigReader, into settings: inout DaemonSettings, environment: [String: String]
    ) {
        if let http = reader.string("http") { settings.http = http.isEmpty ? nil : http }
        if let socket = reader.path("socket", environment: environment) { settings.socket = socket }
        if let directory = reader.path("state_dir", environment: environment) { settings.stateDirectory = directory }
        if let workers = reader.integer("workers", atLeast: 1) { settings.workers = workers }
        if let grace = reader.duration("shutdown_grace") { settings.shutdownGrace = grace }
        if let interval = reader.duration("status_interval") { settings.statusInterval = interval }
        if let threshold = reader.integer("memory_trim_threshold", atLeast: 0) {
            settings.memoryTrimThreshold = threshold
        }
        if let arenas = reader.integer("malloc_arenas", atLeast: 1) { settings.mallocArenas = arenas }
        if let bytes = reader.integer("queue_cache_bytes", atLeast: TaskStore.minimumCacheBytes) {
            settings.queueCacheBytes = bytes
        }
        if let bytes = reader.integer("task_output_bytes", atLeast: 0) { settings.taskOutputBytes = bytes }
        if let age = reader.duration("task_retention") { settings.taskRetention.maxAge = age }
        if let count = reader.integer("task_retention_count", atLeast: 1) { settings.taskRetention.maxCount = count }
        settings.token = reader.string("token")
        if let reads = reader.string("tcp_reads") {
            if let value = TCPReads(rawValue: reads) {
                settings.tcpReads = value
            } else {
                reader.error(
                    "tcp_reads",
                    "daemon.tcp_reads must be one of \(TCPReads.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), not \"\(reads)\""
                )
            }
        }
        var server = settings.httpServer
        if let limit = reader.integer("max_connections", atLeast: 2) { server.connectionLimit = limit }
        if let limit = reader.integer("max_connections_per_address", atLeast: 1) {
            server.connectionsPerAddress = limit
        }
        if let timeout = reader.duration("request_timeout") { server.requestTimeout = timeout }
        if let limit = reader.integer("max_streams", atLeast: 1) { server.maxStreams = limit }
        if let timeout = reader.duration("stream_stall_timeout") { server.streamStallTimeout = timeout }
        if let threads = reader.integer("http_threads", atLeast: 1) { server.threads = threads }
        settings.httpServer = server
        reader.rejectUnknownKeys(expected: [
            "http", "socket", "state_dir", "workers", "shutdown_grace", "status_interval", "token", "tcp_reads",
            "max_connections", "max_connections_per_address", "request_timeout", "max_streams", "stream_stall_timeout",
            "memory_trim_threshold", "malloc_arenas", "http_threads", "queue_cache_bytes", "task_output_bytes",
            "task_retention", "task_retention_count",
        ])
    }
}
