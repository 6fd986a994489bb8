import Foundation
import JobkitMetrics
import Testing

struct ProcessCollectorTests {
    @Test func parsesProcStatEvenWithSpacesAndParenthesesInTheCommand() throws {
        let line =
            "4242 (odd (name) x) S 1 4242 4242 0 -1 4194304 500 0 0 0 250 50 0 0 20 0 6 0 12000 104857600 2560 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
        let stat = try #require(ProcessCollector.parseStat(line, ticksPerSecond: 100, pageSize: 4096))
        #expect(
            stat == .init(cpuSeconds: 3, startTimeSinceBoot: 120, virtualBytes: 104_857_600, residentBytes: 10_485_760))
        #expect(ProcessCollector.parseStat("garbage", ticksPerSecond: 100, pageSize: 4096) == nil)
        #expect(ProcessCollector.parseBootTime("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n") == 1_700_000_000)
    }

    @Test func collectsTheStandardFamiliesForThisProcess() throws {
        let families = ProcessCollector().collect()
        let names = Set(families.map(\.descriptor.name))
        #expect(
            names == [
                "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                "process_start_time_seconds", "process_open_fds", "process_max_fds",
            ])
        func value(_ name: String) -> Double? {
            switch families.first(where: { $0.descriptor.name == name })?.series.first?.value {
            case .gauge(let value), .counter(let value): value
            default: nil
            }
        }
        #expect((value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        let start = try #require(value("process_start_time_seconds"))
        #expect(abs(start - Date().timeIntervalSince1970) < 3600, "started within the last hour")
        // Other tests open files concurrently in this process, so only bounds are stable here.
        let open = try #require(value("process_open_fds"))
        let maximum = try #require(value("process_max_fds"))
        #expect(open >= 3 && open <= maximum)
    }
}
