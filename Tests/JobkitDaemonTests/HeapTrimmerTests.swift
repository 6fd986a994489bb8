import Foundation
import JobkitDaemon
import Testing

/// The heap trimmer gives freed memory back to the system, and not more often than its interval.
@Suite(.serialized)
struct HeapTrimmerTests {
    /// The process's anonymous resident memory (`RssAnon` of /proc/self/status), in bytes.
    func residentAnonymousBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    @Test func freedMemoryIsGivenBackOnceItIsWorthIt() throws {
        // 128 MiB in small blocks, as a burst of task records would be, touched so they are resident.
        let blockBytes = 1024
        let blocks = (0..<(128 << 20) / blockBytes).map { _ -> UnsafeMutableRawPointer in
            let block = malloc(blockBytes)!
            memset(block, 1, blockBytes)
            return block
        }
        // One block allocated last stays, so the arena's top is in use and malloc cannot trim it alone.
        let pin = malloc(blockBytes)!
        defer { free(pin) }
        for block in blocks { free(block) }
        let before = try residentAnonymousBytes()
        let trimmer = HeapTrimmer(threshold: 64 << 20, interval: .seconds(60))
        let start = ContinuousClock.now
        let freed = try #require(trimmer.trimIfWorthIt(now: start))
        #expect(freed >= 100 << 20)
        let after = try residentAnonymousBytes()
        #expect(before - after >= 64 << 20, "RssAnon \(before) -> \(after)")
        // Within the interval it does not trim again, however much is free.
        #expect(trimmer.trimIfWorthIt(now: start.advanced(by: .seconds(30))) == nil)
        #expect(trimmer.trimIfWorthIt(now: start.advanced(by: .seconds(61))) != nil)
        #expect(HeapTrimmer(threshold: 0).trimIfWorthIt() == nil)
    }
}
