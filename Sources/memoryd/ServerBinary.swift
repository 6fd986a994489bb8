import JobkitSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// memoryd-server, the binary with the daemon and every command, installed beside `memoryd`.
enum ServerBinary {
    /// Its file name, in the directory this binary is in.
    static let name = "memoryd-server"
    /// The exit status when it is not there, as a shell's for a command not found.
    static let notFoundStatus: Int32 = 127
    /// The exit status when it is there but cannot be run, as a shell's.
    static let notExecutableStatus: Int32 = 126
    /// Where this process's binary is, on Linux.
    static let selfExecutable = "/proc/self/exe"

    /// Replaces this process with memoryd-server, given the same arguments (`arguments[0]` kept); on
    /// failure says why and exits.
    static func exec(_ arguments: [String]) -> Never {
        let path = Self.path(invokedAs: arguments.first ?? "memoryd")
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        execvp(path, argv)
        let failure = errno
        StandardStreams.error(
            "memoryd: cannot run \(path): \(String(cString: strerror(failure))); every command but a plain "
                + "`submit JOB` and `--version` is in \(name), which is installed beside memoryd "
                + "(`swift build -c release --product \(name)` builds it)\n")
        exit(failure == ENOENT ? notFoundStatus : notExecutableStatus)
    }

    /// memoryd-server's path: beside this binary as `/proc/self/exe` names it, else beside the path
    /// this binary was started by.
    static func path(invokedAs invocation: String) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { readlink(selfExecutable, $0.baseAddress!, $0.count - 1) }
        }
        let executable = length > 0 ? String(decoding: buffer[..<length], as: UTF8.self) : invocation
        guard let slash = executable.lastIndex(of: "/") else { return name }
        return String(executable[...slash]) + name
    }
}
