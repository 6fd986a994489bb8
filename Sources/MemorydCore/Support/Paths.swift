import FoundationEssentials

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
}
