import MemorydCore
import Testing

struct PathsTests {
    @Test(arguments: [
        ("/run/memoryd/memoryd.sock", "/run/memoryd"), ("/memoryd.sock", "/"), ("memoryd.sock", "."),
        ("state/memoryd.sock", "state"),
    ])
    func theDirectoryOfAPathIsEverythingBeforeTheLastSlash(path: String, directory: String) {
        #expect(Paths.directory(of: path) == directory)
    }

    @Test func joiningPutsExactlyOneSlashBetween() {
        #expect(Paths.join("/srv/inbox", "a.json") == "/srv/inbox/a.json")
        #expect(Paths.join("/srv/inbox/", "a.json") == "/srv/inbox/a.json")
    }

    @Test func homeComesFromTheEnvironmentFirst() {
        #expect(Paths.home(environment: ["HOME": "/home/ops"]) == "/home/ops")
        #expect(!Paths.home(environment: [:]).isEmpty)
    }
}
