import JobkitSupport
#if canImport(Glibc)
    import Glibc
#endif

/// The standard process metrics (`process_cpu_seconds_total`, memory, file descriptors, start time),
/// read from `/proc` at each collection.
///
/// ```swift
/// registry.register(collector: ProcessCollector())
/// ```
public struct ProcessCollector: MetricsCollector {
    /// The `/proc` directory of the process to describe (`/proc/self` by default).
    public let procDirectory: String

    public init(procDirectory: String = "/proc/self") {
        self.procDirectory = procDirectory
    }

    /// What `/proc/<pid>/stat` says, in base units.
    package struct Stat: Equatable {
        package var cpuSeconds: Double
        package var startTimeSinceBoot: Double
        package var virtualBytes: Double
        package var residentBytes: Double

        package init(cpuSeconds: Double, startTimeSinceBoot: Double, virtualBytes: Double, residentBytes: Double) {
            self.cpuSeconds = cpuSeconds
            self.startTimeSinceBoot = startTimeSinceBoot
            self.virtualBytes = virtualBytes
            self.residentBytes = residentBytes
        }
    }

    public func collect() -> [FamilySnapshot] {
        var families: [FamilySnapshot] = []
        func gauge(_ name: String, _ help: String, _ value: Double, unit: String? = nil) {
            families.append(
                FamilySnapshot(
                    descriptor: MetricDescriptor(name: name, help: help, kind: .gauge, unit: unit),
                    series: [SeriesSnapshot(labelValues: [], renderedLabels: [], value: .gauge(value))]))
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let text = Self.read(procDirectory + "/stat"),
            let stat = Self.parseStat(text, ticksPerSecond: ticks, pageSize: pageSize)
        {
            families.append(
                FamilySnapshot(
                    descriptor: MetricDescriptor(
                        name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.",
                        kind: .counter, unit: "seconds"),
                    series: [SeriesSnapshot(labelValues: [], renderedLabels: [], value: .counter(stat.cpuSeconds))]))
            gauge("process_resident_memory_bytes", "Resident memory size in bytes.", stat.residentBytes, unit: "bytes")
            gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", stat.virtualBytes, unit: "bytes")
            if let bootTime = Self.read("/proc/stat").flatMap(Self.parseBootTime) {
                gauge(
                    "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                    bootTime + stat.startTimeSinceBoot, unit: "seconds")
            }
        }
        if let open = Self.countEntries(procDirectory + "/fd") {
            gauge("process_open_fds", "Number of open file descriptors.", Double(open))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            gauge("process_max_fds", "Maximum number of open file descriptors.", Double(limit.rlim_cur))
        }
        return families
    }

    /// Parses `/proc/<pid>/stat`; the command name may hold spaces and parentheses, so fields are counted
    /// from the last `)`.
    package static func parseStat(_ text: String, ticksPerSecond: Double, pageSize: Double) -> Stat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
        guard fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]),
            let start = Double(fields[19]), let virtual = Double(fields[20]), let resident = Double(fields[21])
        else { return nil }
        return Stat(
            cpuSeconds: (user + system) / ticksPerSecond, startTimeSinceBoot: start / ticksPerSecond,
            virtualBytes: virtual, residentBytes: resident * pageSize)
    }

    /// The `btime` line of `/proc/stat`: boot time in seconds since the epoch.
    package static func parseBootTime(_ text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count))
        }
        return nil
    }

    private static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard let bytes = try? SystemCall.readAll(descriptor, chunk: SystemCall.procFileChunk).get() else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func countEntries(_ path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { count += 1 }
        }
        // The directory stream itself holds one descriptor while counting.
        return count - 1
    }
}
