#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to standard output and standard error, so each line reaches a pipe as it is
/// written (`memoryd events --follow | grep …`) and the daemon's notices are never held back.
package enum StandardStreams {
    /// Writes `bytes` to standard output.
    package static func output(_ bytes: some Collection<UInt8>) { write(bytes, to: STDOUT_FILENO) }

    /// Writes `text` to standard output.
    package static func output(_ text: String) { output(Array(text.utf8)) }

    /// Writes `text` to standard error.
    package static func error(_ text: String) { write(Array(text.utf8), to: STDERR_FILENO) }

    /// Writes everything, retrying after short writes and signals; gives up silently on a closed stream,
    /// as there is nowhere left to report that.
    private static func write(_ bytes: some Collection<UInt8>, to descriptor: Int32) {
        _ = SystemCall.writeAll(Array(bytes), to: descriptor)
    }
}
