import Foundation
import JobkitDaemon
import JobkitHealth
import Testing

@testable import MemorydCore

/// The route table against the OpenAPI document, and every route's access through the daemon's router
/// in process: no socket, the same handlers and checks both listeners use.
@Suite(.timeLimit(.minutes(1)))
struct RouteTableTests {
    static let token = "route-table-token"

    struct Operation: Hashable, CustomStringConvertible {
        let method: String
        let path: String
        let access: String
        var description: String { "\(method) \(path) (\(access))" }
    }

    /// A daemon on a temporary state directory with a token, not listening.
    func makeDaemon(_ directory: URL) throws -> MemorydDaemon {
        let config = try MemorydConfig.parse(
            "[daemon]\ntoken = \"\(Self.token)\"\n[jobs.echo]\ncommand = [\"true\"]\n", file: "routes.toml",
            environment: [:])
        var settings = DaemonSettings(http: nil, socket: directory.path + "/s.sock", stateDirectory: directory.path)
        settings.token = Self.token
        return try MemorydDaemon(settings: settings, config: config)
    }

    /// Every operation of `API/openapi.yaml` with its `x-memoryd-access`.
    static func documentedOperations() throws -> Set<Operation> {
        let path = ConfigTests.repositoryRoot.appendingPathComponent("Sources/MemorydCore/API/openapi.yaml").path
        let document = try YAMLParser.parse(try String(contentsOfFile: path, encoding: .utf8))
        guard case .mapping(let top, _) = document,
            case .mapping(let paths, _)? = top.first(where: { $0.key.text == "paths" })?.value
        else { throw DocumentError() }
        var operations: Set<Operation> = []
        for (path, item) in paths {
            guard case .mapping(let methods, _) = item else { continue }
            // A path item also holds `parameters`, `summary` and `description`.
            for (method, operation) in methods where Self.httpMethods.contains(method.text) {
                guard case .mapping(let fields, _) = operation,
                    case .scalar(let access)? = fields.first(where: { $0.key.text == "x-memoryd-access" })?.value
                else {
                    operations.insert(Operation(method: method.text.uppercased(), path: path.text, access: "?"))
                    continue
                }
                operations.insert(Operation(method: method.text.uppercased(), path: path.text, access: access.text))
            }
        }
        return operations
    }

    struct DocumentError: Error {}

    /// The keys of an OpenAPI path item that are operations.
    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    @Test func theTableAndTheDocumentListTheSameRoutesWithTheSameAccess() throws {
        let directory = try makeTemporaryDirectory("routes-doc")
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try makeDaemon(directory)
        let table = Set(
            daemon.routes.map { Operation(method: $0.method.rawValue, path: $0.path, access: $0.access.rawValue) })
        let documented = try Self.documentedOperations()
        #expect(table.subtracting(documented).isEmpty, "served but not documented: \(table.subtracting(documented))")
        #expect(documented.subtracting(table).isEmpty, "documented but not served: \(documented.subtracting(table))")
    }

    /// A request for `route` from `peer`, with `headers`; path parameters filled with ids that do not
    /// exist, so nothing is changed when the check lets it through.
    func request(_ route: Route, peer: HTTPPeer, headers: [String: String] = [:]) -> HTTPRequest {
        let path = route.path.replacingOccurrences(of: "{id}", with: "t999999")
            .replacingOccurrences(of: "{name}", with: "no-such-job")
        // A finite answer from the events route: the history, not a stream.
        let query = route.path == "/v1/events" ? ["follow": "false"] : [:]
        return HTTPRequest(
            method: route.method.rawValue, path: path, headers: headers.merging(["host": "localhost"]) { $1 },
            query: query, body: [], peer: peer)
    }

    @Test func everyRouteIsBehindTheCheckItsAccessNames() throws {
        let directory = try makeTemporaryDirectory("routes-access")
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try makeDaemon(directory)
        let stranger = HTTPPeer.unix(uid: getuid() &+ 4242, pid: 1)
        let bearer = ["authorization": "Bearer \(Self.token)"]
        for route in daemon.routes {
            let tcp = daemon.respond(to: request(route, peer: .tcp)).status
            let other = daemon.respond(to: request(route, peer: stranger)).status
            let owner = daemon.respond(to: request(route, peer: .unix(uid: getuid(), pid: 1))).status
            let token = daemon.respond(to: request(route, peer: .tcp, headers: bearer)).status
            let wrong = daemon.respond(
                to: request(route, peer: .tcp, headers: ["authorization": "Bearer not-\(Self.token)"])
            ).status
            switch route.access {
            case .open:
                #expect(![401, 403].contains(tcp) && ![401, 403].contains(other), "\(route.path) refused")
            case .read, .mutate:
                #expect(
                    tcp == 401 && wrong == 401,
                    "\(route.method.rawValue) \(route.path) on TCP without the token: \(tcp)")
                #expect(other == 403, "\(route.method.rawValue) \(route.path) from another uid: \(other)")
            }
            #expect(
                ![401, 403].contains(owner), "\(route.method.rawValue) \(route.path) refused the daemon's own user")
            #expect(![401, 403].contains(token), "\(route.method.rawValue) \(route.path) refused the token")
        }
    }
}
