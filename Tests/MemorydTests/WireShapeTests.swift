import Foundation
import Jobkit
import JobkitDaemon
import Testing

@testable import MemorydCore

/// One task has one JSON shape: `GET /v1/tasks`, `GET /v1/tasks/{id}` and the recent tasks of
/// `GET /v1/status` give the same object for it.
@Suite(.timeLimit(.minutes(1)))
struct WireShapeTests {
    @Test func aTaskLooksTheSameInTheTaskListItsOwnPageAndTheStatus() throws {
        let directory = try makeTemporaryDirectory("wire-shape")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try MemorydConfig.parse(
            "[jobs.park]\ncommand = [\"true\"]\n", file: "wire.toml", environment: [:])
        let daemon = try MemorydDaemon(
            settings: DaemonSettings(http: nil, socket: directory.path + "/s.sock", stateDirectory: directory.path),
            config: config)
        let owner = HTTPPeer.unix(uid: getuid(), pid: getpid())
        func call(_ method: String, _ path: String, body: String = "") -> HTTPResponse {
            daemon.respond(
                to: HTTPRequest(
                    method: method, path: path, headers: ["host": "localhost"], body: Array(body.utf8), peer: owner))
        }
        func json(_ response: HTTPResponse) throws -> Any {
            guard case .bytes(let bytes) = response.body else { throw ShapeError() }
            return try JSONSerialization.jsonObject(with: Data(bytes))
        }
        // The scheduler does not run here, so the task stays pending between the three reads.
        #expect(call("POST", "/v1/tasks", body: #"{"job": "park"}"#).status == 201)
        let list = try #require(try json(call("GET", "/v1/tasks")) as? [String: Any])
        let listed = try #require((list["tasks"] as? [[String: Any]])?.first { $0["job"] as? String == "park" })
        let id = try #require(listed["id"] as? String)
        let own = try #require(try json(call("GET", "/v1/tasks/\(id)")) as? [String: Any])
        let status = try #require(try json(call("GET", "/v1/status")) as? [String: Any])
        let recent = try #require((status["recentTasks"] as? [[String: Any]])?.first { $0["id"] as? String == id })
        #expect(NSDictionary(dictionary: listed).isEqual(to: own))
        #expect(NSDictionary(dictionary: listed).isEqual(to: recent), "status: \(recent), tasks: \(listed)")
        // And the kit's type reads all three.
        guard case .bytes(let bytes) = call("GET", "/v1/tasks/\(id)").body else { throw ShapeError() }
        #expect(try WireJSON.decode(TaskResource.self, from: bytes).job == "park")
    }

    /// The status's per-job figures name the job type `job`, as tasks and events do, whatever the
    /// library calls it.
    @Test func aJobTypeIsCalledJobInTheStatusAsInTasksAndEvents() throws {
        let stats = try WindowedJobStats(clock: .continuous)
        let task = TaskRef(id: TaskID(rawValue: 7), name: "park:1", jobType: "park", correlationID: nil)
        stats.observe(.finished(task, outcome: .succeeded, attempt: 1, duration: .seconds(2), error: nil))
        let resource = try #require(stats.snapshot().map(JobStatsResource.init).first)
        let object = try #require(
            try JSONSerialization.jsonObject(with: WireJSON.encoder(pretty: false).encode(resource)) as? [String: Any])
        #expect(Set(object.keys) == ["job", "windows"])
        #expect(object["job"] as? String == "park")
        var line: [UInt8] = []
        JobEvent(kind: .succeeded, task: task).appendJSONLine(to: &line)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(event["job"] as? String == "park")
    }

    struct ShapeError: Error {}
}
