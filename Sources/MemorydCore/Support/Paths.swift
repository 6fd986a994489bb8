import FoundationEssentials
import MemorydClient

#if canImport(Glibc)
    import Glibc
#endif

/// The few path operations the daemon needs, on plain strings.
package enum Paths {
    /// The directory part of `path`: `/run/memoryd` for `/run/memoryd/memoryd.sock`, `.` for a bare name.
    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `name` inside `directory`, with exactly one `/` between them.
    package static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The user's home directory: `$HOME` from `environment`, else the password database's entry.
    package static func home(environment: [String: String]) -> String {
        environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path(percentEncoded: false)
    }

    /// The runtime directory for the socket, ``DaemonAddress/runtimeDirectory(variable:)`` with the
    /// variables from `environment`.
    package static func runtimeDirectory(environment: [String: String]) -> String {
        DaemonAddress.runtimeDirectory { environment[$0] }
    }

    /// Why `path` cannot be read, as the system says it: "No such file or directory", "Permission
    /// denied", "Is a directory".
    package static func unreadableReason(_ path: String) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        guard read(descriptor, &byte, 1) >= 0 else { return String(cString: strerror(errno)) }
        return "it changed while it was read"
    }
}
