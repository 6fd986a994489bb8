import Foundation
import Testing

/// `memoryd top` in a real terminal (tmux): it shows live jobs and numbers, follows a resize, and quits
/// on q; without a terminal it prints one snapshot.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct TopEndToEndTests {
    static let deadline: Duration = .seconds(30)
    static let config = SmallPipeline.config(extract: "echo '::progress 0.5 half way'; sleep 0.5")

    /// A tmux server of the test's own (its own socket name), stopped by its PID.
    final class Tmux {
        let name = "memoryd-top-\(UUID().uuidString.prefix(8))"

        /// Runs a tmux command and waits for it (through ``runTool``: the server `new-session` starts keeps
        /// the client's descriptors, so a pipe would never reach its end, and it must not inherit the test's
        /// blocked signals, or it would never see `top` exit).
        func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            try await runTool("tmux", ["-L", name] + arguments)
        }

        func screen() async throws -> [String] {
            var lines = try await run(["capture-pane", "-p", "-t", "top"]).output
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return lines
        }

        deinit {
            if let pid = try? runToolBlocking("tmux", ["-L", name, "display-message", "-p", "-t", "top", "#{pid}"])
                .output
                .trimmingCharacters(in: .whitespacesAndNewlines), let number = Int32(pid)
            {
                kill(number, SIGTERM)
            }
        }
    }

    @Test func topShowsLiveJobsFollowsAResizeAndQuitsOnQ() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("top-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configPath = directory.appendingPathComponent("memoryd.toml")
        try Self.config.write(to: configPath, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(directory: directory, arguments: ["--config", configPath.path])
        _ = try await daemon.waitForPort()
        let memoryd = DaemonProcess.binary.path
        let socket = ["--socket", daemon.socketPath]

        let tmux = Tmux()
        let started = try await tmux.run([
            "new-session", "-d", "-s", "top", "-x", "100", "-y", "32", "\(memoryd) top --socket \(daemon.socketPath)",
        ])
        #expect(started.status == 0, "\(started.output)")
        for job in ["extract", "extract", "flaky"] {
            #expect(try await runTool(memoryd, ["submit", job] + socket).status == 0)
        }

        // Live figures: the jobs' rows with their success ratios, the finished count, the events.
        let screen = try await poll("top to show the finished runs", deadline: Self.deadline) { () -> [String]? in
            let lines = try await tmux.screen()
            let text = lines.joined(separator: "\n")
            let digest = lines.first { $0.hasPrefix("digest ") }
            let flaky = lines.first { $0.hasPrefix("flaky ") }
            return digest?.contains("100%") == true && flaky?.contains(" 0% ") == true
                && text.contains("succeeded  t") ? lines : nil
        }
        #expect(screen[0].hasPrefix("memoryd pid ") && screen[0].hasSuffix("q quit"), "\(screen[0])")
        // 30 sparkline bars of 2 s fit in 100 columns.
        #expect(screen.contains { $0.hasPrefix("JOB ") && $0.hasSuffix("FINISHED, LAST 60s") }, "\(screen)")
        #expect(screen.contains { $0.hasPrefix("llm ") && $0.contains("/1") })
        #expect(screen.contains { $0.hasPrefix("tasks ") && $0.contains("failed 1") })
        let sparkline = try #require(screen.first { $0.hasPrefix("extract ") })
        #expect(sparkline.contains { "▁▂▃▄▅▆▇█".contains($0) }, "\(sparkline)")

        // A smaller terminal: the next frame fits it, with shorter sparklines.
        await #expect(try tmux.run(["resize-window", "-t", "top", "-x", "64", "-y", "20"]).status == 0)
        let small = try await poll("top to redraw at 64 columns", deadline: Self.deadline) { () -> [String]? in
            let lines = try await tmux.screen()
            return lines.contains { $0.hasPrefix("JOB ") && $0.hasSuffix("FINISHED, LAST 32s") } ? lines : nil
        }
        #expect(small.count == 20 && small.allSatisfy { $0.count <= 64 }, "\(small)")
        #expect(small[0].hasPrefix("memoryd pid "))

        await #expect(try tmux.run(["send-keys", "-t", "top", "q"]).status == 0)
        _ = try await poll("top to quit", deadline: Self.deadline) { () -> Bool? in
            try await tmux.run(["has-session", "-t", "top"]).status != 0 ? true : nil
        }

        // Without a terminal: one snapshot.
        let snapshot = try await runTool(memoryd, ["top"] + socket)
        #expect(snapshot.status == 0, "\(snapshot.output)")
        #expect(snapshot.output.contains("\nextract ") && snapshot.output.contains("EVENTS"), "\(snapshot.output)")
        #expect(!snapshot.output.contains("\u{1B}["), "no escape sequences when not on a terminal")
        #expect(try await daemon.terminate() == 0)
        try? FileManager.default.removeItem(at: directory)
    }
}
