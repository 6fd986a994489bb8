import Foundation
import Testing

/// `GET /` in a real browser: headless Chromium (Debian's package) opens the page of a daemon that has
/// run jobs. Without the token it asks for one and shows no task data; with the token typed into its
/// form, its rendered DOM shows the live job names and numbers, events from the stream, and charts with
/// data. The page loads nothing but its own three files.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WebPageEndToEndTests {
    static let deadline: Duration = .seconds(60)
    static let token = "page-test-token"
    static let config = "[daemon]\ntoken = \"\(token)\"\n\n" + SmallPipeline.config(extract: "sleep 0.2")

    /// Drives Chromium over its DevTools pipe: opens the URL, runs the optional action once the page's
    /// action condition holds, waits until the JavaScript condition holds (or the deadline passes), and
    /// prints the rendered DOM, then "CONDITION MET" or "CONDITION NOT MET" on stderr. Arguments: URL,
    /// condition, seconds, profile directory, and optionally an action condition and an action.
    static let browser = #"""
        import json, os, subprocess, sys, time
        url, condition, seconds, profile = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
        ready, action = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else (None, None)
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        def child_fds():
            # Chromium reads commands on fd 3 and answers on fd 4; dup2 onto the same number would keep
            # close-on-exec, so the flag is cleared explicitly.
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)
        chrome = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-pipe",
             "--user-data-dir=" + profile, "about:blank"],
            preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        pending = b""
        counter = 0
        def send(method, params=None, session=None):
            global counter, pending
            counter += 1
            message = {"id": counter, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            os.write(to_chrome_w, json.dumps(message).encode() + b"\0")
            while True:
                while b"\0" not in pending:
                    chunk = os.read(from_chrome_r, 65536)
                    if not chunk:
                        raise SystemExit("chromium closed its DevTools pipe")
                    pending += chunk
                raw, pending = pending.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == counter:
                    if "error" in reply:
                        raise SystemExit(f"{method}: {reply['error']}")
                    return reply["result"]
        try:
            target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            send("Page.navigate", {"url": url}, session)
            deadline = time.time() + seconds
            met = False
            while action and time.time() < deadline:
                answer = send("Runtime.evaluate", {"expression": f"Boolean({ready})", "returnByValue": True}, session)
                if answer.get("result", {}).get("value") is True:
                    send("Runtime.evaluate", {"expression": action}, session)
                    break
                time.sleep(0.2)
            while time.time() < deadline and not met:
                answer = send("Runtime.evaluate", {"expression": f"Boolean({condition})", "returnByValue": True}, session)
                met = answer.get("result", {}).get("value") is True
                if not met:
                    time.sleep(0.2)
            dom = send("Runtime.evaluate", {"expression": "document.documentElement.outerHTML", "returnByValue": True}, session)
            print(dom["result"]["value"])
            print("CONDITION " + ("MET" if met else "NOT MET"), file=sys.stderr)
        finally:
            try:
                send("Browser.close")
            except BaseException:
                pass
            try:
                chrome.wait(timeout=10)
            except subprocess.TimeoutExpired:
                chrome.kill()
                chrome.wait()
        """#

    /// Live data has arrived: job rows with finished counts, the flaky job's failure, events over SSE, a
    /// throughput chart with a bar.
    static let rendered = """
        Number(document.querySelector('#jobs tr[data-job="extract"] .finished')?.textContent) >= 2
        && document.querySelector('#jobs tr[data-job="flaky"] .success')?.textContent === '0%'
        && document.querySelector('#events li[data-kind="succeeded"]') !== null
        && /^[0-9]+$/.test(document.getElementById('live-seq').textContent)
        && Number(document.getElementById('throughput-chart').dataset.highest) >= 1
        && document.getElementById('connection').dataset.state === 'live'
        """

    /// The page shows its token form and says it is locked.
    static let asksForToken = """
        document.getElementById('token-form').hidden === false
        && document.getElementById('connection').dataset.state === 'locked'
        """

    /// Types the token into the form and submits it, as a person would.
    static let enterToken = """
        document.getElementById('token').value = '\(token)';
        document.getElementById('token-form').requestSubmit();
        """

    @Test func theLivePageShowsJobsEventsAndChartsInChromium() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configPath = directory.appendingPathComponent("memoryd.toml")
        try Self.config.write(to: configPath, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(directory: directory, arguments: ["--config", configPath.path])
        let port = try await daemon.waitForPort()
        let memoryd = DaemonProcess.binary.path
        for job in ["extract", "extract", "flaky"] {
            #expect(try await runTool(memoryd, ["submit", job, "--socket", daemon.socketPath]).status == 0)
        }

        // The page and its assets: HTML, script and style sheet, each held to this origin.
        let head = try await runTool("curl", ["-sS", "-D", "-", "-o", "/dev/null", "http://127.0.0.1:\(port)/"]).output
        #expect(head.contains("Content-Type: text/html; charset=utf-8"), "\(head)")
        #expect(head.contains("Content-Security-Policy: default-src 'none'; script-src 'self'"), "\(head)")
        for asset in ["/ui/app.js", "/ui/app.css"] {
            let status = try await runTool(
                "curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)\(asset)"])
            #expect(status.output == "200", "\(asset): \(status.output)")
        }
        let page = try await runTool("curl", ["-sS", "http://127.0.0.1:\(port)/"]).output
        #expect(!page.contains("http://") && !page.contains("https://"), "the page refers to another origin")

        let script = directory.appendingPathComponent("browser.py")
        try Self.browser.write(to: script, atomically: true, encoding: .utf8)
        let seconds = Self.deadline.components.seconds

        // Without the token, the page on TCP shows no task data and asks for the token.
        let locked = try await runTool(
            "python3",
            [
                script.path, "http://127.0.0.1:\(port)/", Self.asksForToken, "\(seconds)",
                directory.appendingPathComponent("locked-profile").path,
            ])
        #expect(
            locked.output.contains("CONDITION MET"), "the page did not ask for a token:\n\(locked.output.suffix(3000))")
        #expect(!locked.output.contains(#"<td class="job">extract</td>"#))

        // With the token entered in its form, the page fills with live data.
        let result = try await runTool(
            "python3",
            [
                script.path, "http://127.0.0.1:\(port)/", Self.rendered, "\(seconds)",
                directory.appendingPathComponent("profile").path, Self.asksForToken, Self.enterToken,
            ])
        #expect(
            result.output.contains("CONDITION MET"), "the page never showed live data:\n\(result.output.suffix(4000))")
        let dom = result.output
        #expect(dom.contains(#"<td class="job">extract</td>"#))
        #expect(dom.contains(#"<td class="job">digest</td>"#))
        #expect(dom.contains(#"<div class="card" data-state="failed"><b>1</b>"#), "\(dom.suffix(3000))")
        #expect(dom.contains(#"<tr data-pool="llm"><td>llm</td>"#))
        #expect(dom.contains("pid \(daemon.process.processIdentifier) · up "))
        #expect(try await daemon.terminate() == 0)
    }
}
