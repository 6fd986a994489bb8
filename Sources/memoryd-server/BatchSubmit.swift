import ArgumentParser
import FoundationEssentials
import JobkitDaemon
import JobkitSupport
import MemorydClient
import MemorydCore

/// `memoryd submit --batch`: submissions from standard input, sent to `POST /v1/tasks:batch` a group at a
/// time, the daemon's answers printed as they come.
struct BatchSubmit {
    let client: DaemonClient
    /// Submissions per request.
    let size: Int

    /// A group of input lines on its way: blank lines are sent too, so the daemon's line numbers map back.
    private struct Group {
        var body: [UInt8] = []
        var submissions = 0
        /// The input's number of the group's first line.
        var firstLine = 1
    }

    /// A line of the daemon's answer, as far as the CLI reads it.
    private struct AnswerLine: Decodable { var status: Int }

    /// A refused batch's error.
    private struct Refusal: Decodable {
        struct Detail: Decodable {
            var message: String
            var line: Int?
        }
        var error: Detail
    }

    func run() throws {
        var group = Group()
        var lineNumber = 0
        var started = 0
        var refused = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            group.body += line.utf8
            group.body.append(UInt8(ascii: "\n"))
            if line.contains(where: { !$0.isWhitespace }) { group.submissions += 1 }
            if group.submissions == size {
                try send(group, started: &started, refused: &refused)
                group = Group(firstLine: lineNumber + 1)
            }
        }
        if group.submissions > 0 { try send(group, started: &started, refused: &refused) }
        guard refused == 0 else {
            printError("memoryd: \(refused) of \(started + refused) submissions were not started (see their answers)")
            throw ExitCode.failure
        }
    }

    private func send(_ group: Group, started: inout Int, refused: inout Int) throws {
        let response: DaemonClient.Response
        do {
            response = try client.send(
                "POST", "/v1/tasks:batch", json: group.body, contentType: "application/x-ndjson")
        } catch {
            printError("memoryd: \(error)" + Self.before(started + refused))
            throw ExitCode.failure
        }
        guard response.status == 200 else {
            let refusal = try? WireJSON.decode(Refusal.self, from: response.body)
            var message = refusal?.error.message ?? String(decoding: response.body, as: UTF8.self)
            if let line = refusal?.error.line {
                let local = "line \(line): "
                if message.hasPrefix(local) { message.removeFirst(local.count) }
                message = "input line \(group.firstLine + line - 1): " + message
            }
            printError("memoryd: \(message) (HTTP \(response.status))" + Self.before(started + refused))
            throw ExitCode.failure
        }
        StandardStreams.output(response.body)
        for line in response.body.split(separator: UInt8(ascii: "\n")) {
            if (try? WireJSON.decode(AnswerLine.self, from: Array(line)))?.status == 201 {
                started += 1
            } else {
                refused += 1
            }
        }
    }

    /// What was sent before a group that failed as a whole.
    private static func before(_ answered: Int) -> String {
        answered == 0 ? "" : "; the \(answered) submissions before it were answered above"
    }
}
