import CJobkitDaemonSupport
import CProcessSupport
import JobkitSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The controlling terminal of `memoryd top`: its size, raw keyboard input, the alternate screen, and
/// the signals that matter to a full-screen program (SIGWINCH to redraw, SIGINT and SIGTERM to leave),
/// all turned into bytes on one pipe that ``waitForInput(timeoutMilliseconds:)`` watches beside stdin.
public final class Terminal: @unchecked Sendable {
    // @unchecked: `saved` is set up in init and only read afterwards, on the thread that owns the
    // terminal.

    /// What woke ``waitForInput(timeoutMilliseconds:)``.
    public enum Wake: Equatable {
        case timeout
        case resized
        case quit
        case key(UInt8)
    }

    private var saved = termios()
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// SIGWINCH to redraw, SIGINT and SIGTERM to leave.
    private static let signals = [SIGWINCH, SIGINT, SIGTERM]

    /// Whether standard output is a terminal.
    public static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1 }

    /// The terminal's columns and rows, or `nil` when standard output is not one.
    public static func size() -> (columns: Int, rows: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Switches to raw input (no echo, a key at a time) and the alternate screen with the cursor hidden.
    public init() throws {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw TerminalError(message: "cannot create a pipe") }
        (wakeRead, wakeWrite) = (pipe[0], pipe[1])
        // The signal handler writes to it and must never block.
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else {
            throw TerminalError(message: "standard input is not a terminal")
        }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        // Each signal's number is written to the wake pipe by a handler (CProcessSupport).
        for signalNumber in Self.signals {
            let installed = jds_signal_to_pipe(signalNumber, wakeWrite)
            guard installed == 0 else { throw TerminalError(message: "cannot handle signal \(signalNumber)") }
        }
        Self.write("\u{1B}[?1049h\u{1B}[?25l")
    }

    /// Leaves the alternate screen and gives the terminal back as it was.
    public func restore() {
        for signalNumber in Self.signals { signal(signalNumber, SIG_DFL) }
        Self.write("\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
        close(wakeRead)
        close(wakeWrite)
    }

    /// Draws `lines` from the top left, clearing what was there.
    public func draw(_ lines: [String]) {
        Self.write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    /// Waits for a key, a signal, or the timeout.
    public func waitForInput(timeoutMilliseconds: Int32) -> Wake {
        var descriptors = [
            pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&descriptors, nfds_t(descriptors.count), timeoutMilliseconds)
        guard ready > 0 else { return .timeout }
        var byte: UInt8 = 0
        if descriptors[1].revents != 0, read(wakeRead, &byte, 1) == 1 {
            return Int32(byte) == SIGWINCH ? .resized : .quit
        }
        if descriptors[0].revents & Int16(POLLHUP) != 0 { return .quit }
        if descriptors[0].revents != 0 {
            return read(STDIN_FILENO, &byte, 1) == 1 ? .key(byte) : .quit
        }
        return .timeout
    }

    /// Writes `text` to standard output at once.
    static func write(_ text: String) {
        _ = SystemCall.writeAll(Array(text.utf8), to: STDOUT_FILENO)
    }
}

struct TerminalError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
