import FoundationEssentials
package import JobkitSupport
import Jobkit

/// A time zone read from the system's zoneinfo (TZif files, RFC 8536): the UTC offset at any instant,
/// and the instants a local time stands for. FoundationEssentials knows only UTC, so schedules use this.
package struct ZoneInfo: Sendable, Hashable {
    /// The IANA name (`Europe/Berlin`), or what `TZ` held.
    package let name: String
    /// Transition instants (seconds since the epoch, UTC), ascending.
    let transitions: [Int64]
    /// The offset (seconds east of UTC) from each transition on.
    let offsets: [Int]
    /// The offset before the first transition.
    let initialOffset: Int
    /// What holds after the last transition.
    let rule: PosixTimeZoneRule?

    /// Where the system keeps its zoneinfo files.
    package static let defaultDirectory = "/usr/share/zoneinfo"
    /// The local time zone file when `TZ` is unset.
    package static let localTimeFile = "/etc/localtime"

    package static let utc = ZoneInfo(
        name: "UTC", transitions: [], offsets: [], initialOffset: 0, rule: PosixTimeZoneRule("UTC0"))

    /// Why a zone could not be read.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package var description: String
    }

    /// Reads zone `name` (`Europe/Berlin`) from `directory`.
    ///
    /// - Throws: ``Failure`` naming the zone when it is not there or not a zoneinfo file.
    package static func load(_ name: String, directory: String = defaultDirectory) throws(Failure) -> ZoneInfo {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0.isEmpty }) else {
            throw Failure(description: "'\(name)' is not a time zone name such as Europe/Berlin")
        }
        return try read(name: name, path: directory + "/" + name)
    }

    /// The zone local times are in: `$TZ` (a zone name, a `:`-prefixed name or path, or a POSIX rule),
    /// else `/etc/localtime`, else UTC.
    package static func local(
        environment: [String: String] = ProcessInfo.processInfo.environment, directory: String = defaultDirectory
    ) -> ZoneInfo {
        if var value = environment["TZ"], !value.isEmpty {
            if value.hasPrefix(":") { value.removeFirst() }
            if value.hasPrefix("/"), let zone = try? read(name: value, path: value) { return zone }
            if let zone = try? load(value, directory: directory) { return zone }
            if let rule = PosixTimeZoneRule(value) {
                return ZoneInfo(name: value, transitions: [], offsets: [], initialOffset: rule.standardOffset, rule: rule)
            }
            return .utc
        }
        // /etc/localtime is usually a link into the zoneinfo directory, which names the zone.
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: localTimeFile)) ?? ""
        let name = target.firstRange(of: "zoneinfo/").map { String(target[$0.upperBound...]) } ?? "localtime"
        return (try? read(name: name, path: localTimeFile)) ?? .utc
    }

    /// The zone names in `directory` (`Europe/Berlin`, `UTC`, …), for suggestions.
    package static func names(directory: String = defaultDirectory) -> [String] {
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: directory)) ?? []
        return paths.filter { path in
            // Zone names start with a capital; posix/ and right/ are copies, the rest tables and leap data.
            guard let first = path.first, first.isUppercase, !path.hasSuffix(".tab"), !path.contains(".") else {
                return false
            }
            var isDirectory = false
            return FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory)
                && !isDirectory
        }.sorted()
    }

    /// Seconds east of UTC at `instant` (seconds since the epoch).
    package func offset(at instant: Int64) -> Int {
        guard let last = transitions.last else { return rule?.offset(at: instant) ?? initialOffset }
        guard instant >= transitions[0] else { return initialOffset }
        if instant >= last, let rule { return rule.offset(at: instant) }
        // The last transition at or before the instant.
        var low = 0
        var high = transitions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle] <= instant { low = middle } else { high = middle - 1 }
        }
        return offsets[low]
    }

    /// The local time at `instant`.
    package func localTime(at instant: Int64) -> LocalTime {
        LocalTime(seconds: instant + Int64(offset(at: instant)))
    }

    /// What a local time stands for: usually one instant; two when the clock was set back over it (the
    /// earlier first); none when it was skipped, with the instant the clock jumped over it.
    package enum Resolution: Sendable, Hashable {
        case instants([Int64])
        case skipped(jumpAt: Int64)
    }

    /// The instants `local` stands for.
    package func resolve(_ local: LocalTime) -> Resolution {
        // Offsets on either side: no zone changes its offset twice within two days.
        let before = offset(at: local.seconds - 86_400 - 50_400)
        let after = offset(at: local.seconds + 86_400 + 50_400)
        let instants = Set([before, after]).map { local.seconds - Int64($0) }.filter {
            localTime(at: $0) == local
        }.sorted()
        if !instants.isEmpty { return .instants(instants) }
        // Skipped: the jump is between the two readings; find its instant.
        var low = local.seconds - Int64(max(before, after))
        var high = local.seconds - Int64(min(before, after))
        let startOffset = offset(at: low)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == startOffset { low = middle } else { high = middle }
        }
        return .skipped(jumpAt: high)
    }

    /// Reads a TZif file.
    static func read(name: String, path: String) throws(Failure) -> ZoneInfo {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "no time zone '\(name)' in \(Paths.directory(of: path)): \(Paths.unreadableReason(path))")
        }
        guard let zone = TZifReader(bytes: Array(data)).zone(named: name) else {
            throw Failure(description: "\(path) is not a zoneinfo (TZif) file")
        }
        return zone
    }
}

/// The parts of a TZif file (RFC 8536) a zone needs: transitions, their offsets, the footer rule.
private struct TZifReader {
    let bytes: [UInt8]

    func integer(at offset: Int, size: Int) -> Int64? {
        guard offset >= 0, offset + size <= bytes.count else { return nil }
        var value: UInt64 = 0
        for index in offset..<(offset + size) { value = value << 8 | UInt64(bytes[index]) }
        // Sign-extend from `size` bytes.
        let shift = UInt64(64 - size * 8)
        return Int64(bitPattern: value << shift) >> Int64(shift)
    }

    func zone(named name: String) -> ZoneInfo? {
        guard bytes.count >= 44, bytes[0..<4].elementsEqual("TZif".utf8) else { return nil }
        let version = bytes[4]
        guard let block = parse(header: 0, timeSize: 4) else { return nil }
        // Version 2 and later repeat the data with 64-bit times, then a footer with the rule.
        guard version >= UInt8(ascii: "2"), let wide = parse(header: block.end, timeSize: 8) else {
            return ZoneInfo(
                name: name, transitions: block.transitions, offsets: block.offsets,
                initialOffset: block.initial, rule: nil)
        }
        var rule: PosixTimeZoneRule?
        if wide.end < bytes.count, bytes[wide.end] == UInt8(ascii: "\n"),
            let close = bytes[(wide.end + 1)...].firstIndex(of: UInt8(ascii: "\n"))
        {
            rule = PosixTimeZoneRule(String(decoding: bytes[(wide.end + 1)..<close], as: UTF8.self))
        }
        return ZoneInfo(
            name: name, transitions: wide.transitions, offsets: wide.offsets, initialOffset: wide.initial, rule: rule)
    }

    /// One header and its data block, with `timeSize`-byte transition times.
    func parse(header: Int, timeSize: Int) -> (transitions: [Int64], offsets: [Int], initial: Int, end: Int)? {
        var counts: [Int] = []
        for index in 0..<6 {
            guard let count = integer(at: header + 20 + index * 4, size: 4), count >= 0 else { return nil }
            counts.append(Int(count))
        }
        let (utCount, standardCount, leapCount, timeCount, typeCount, charCount) =
            (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5])
        guard typeCount > 0 else { return nil }
        let times = header + 44
        let indices = times + timeCount * timeSize
        let types = indices + timeCount
        let end =
            types + typeCount * 6 + charCount + leapCount * (timeSize + 4) + standardCount + utCount
        guard end <= bytes.count else { return nil }
        var typeOffsets: [Int] = []
        for index in 0..<typeCount {
            guard let offset = integer(at: types + index * 6, size: 4) else { return nil }
            typeOffsets.append(Int(offset))
        }
        var transitions: [Int64] = []
        var offsets: [Int] = []
        for index in 0..<timeCount {
            guard let time = integer(at: times + index * timeSize, size: timeSize) else { return nil }
            let type = Int(bytes[indices + index])
            guard type < typeCount else { return nil }
            transitions.append(time)
            offsets.append(typeOffsets[type])
        }
        return (transitions, offsets, typeOffsets[0], end)
    }
}
