import FoundationEssentials
import JobkitMetrics
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a file that holds the owner's pid: one daemon per state directory.
///
/// The lock is `flock(2)`, so the kernel releases it when the process dies, even by `kill -9`; a stale
/// file from a crashed daemon never blocks the next start.
public final class InstanceLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Takes the lock at `path`, creating the file, and writes this process's pid into it.
    ///
    /// - Throws: ``DaemonError`` `.alreadyRunning` naming the holder's pid if another process has the lock,
    ///   or `.system` if the file cannot be opened.
    public init(path: String) throws {
        self.path = path
        let descriptor = try PrivateFiles.open(path, flags: O_RDWR)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readPid(descriptor)
            close(descriptor)
            guard reason == EWOULDBLOCK else { throw DaemonError.system("flock", path: path, errno: reason) }
            throw DaemonError(
                .alreadyRunning,
                "another instance (pid \(holder.map(String.init) ?? "unknown")) holds \(path)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    deinit {
        // Closing the descriptor releases the lock; the file stays, harmlessly, for the next start.
        close(descriptor)
    }

    /// The pid written in the lock file, if it holds one.
    public static func holder(of path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingWhitespace())
    }

    private static func readPid(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace())
    }
}
