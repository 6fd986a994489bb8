import FoundationEssentials

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

    /// The runtime directory for the socket: `$XDG_RUNTIME_DIR`, or `/tmp/memoryd-UID` when it is unset
    /// or empty, the same for the daemon, every client command and `$XDG_RUNTIME_DIR` in a config.
    package static func runtimeDirectory(environment: [String: String]) -> String {
        runtimeDirectory { environment[$0] }
    }

    /// ``runtimeDirectory(environment:)`` with each variable read by `variable` (``environmentVariable(_:)``
    /// in a client command).
    package static func runtimeDirectory(variable: (String) -> String?) -> String {
        if let runtime = variable("XDG_RUNTIME_DIR"), !runtime.isEmpty { return runtime }
        return fallbackRuntimeDirectory
    }

    /// The process's environment variable `name`, read without building the whole environment: the
    /// first `[String: String]` a process makes looks up `String: Hashable` in every protocol
    /// conformance of the binary, a visible part of a client command's start-up.
    package static func environmentVariable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// `/tmp/memoryd-UID`: private to this user (0700), created by the daemon, refused if someone else
    /// made it first.
    package static var fallbackRuntimeDirectory: String { "/tmp/memoryd-\(getuid())" }

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
