import JobkitSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `memoryd`: a plain `submit JOB` or `--version` is answered here; anything else becomes
/// memoryd-server, by exec, in this same process (so `memoryd run` under systemd keeps its PID).
///
/// This binary is static and holds only the client (MemorydClient): a script's call maps no shared
/// library and starts no more of the Swift runtime than a hello world (docs/daemon.md, "Two binaries").
@main
enum MemorydMain {
    static func main() {
        if let plain = FastPath.command(Array(CommandLine.arguments.dropFirst())) {
            do {
                try plain()
            } catch {
                exit(EXIT_FAILURE)
            }
            return
        }
        ServerBinary.exec(CommandLine.arguments)
    }
}
