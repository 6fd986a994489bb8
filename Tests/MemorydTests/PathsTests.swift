import Glibc
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

    @Test func theRuntimeDirectoryFallsBackToAPerUserDirectoryInTmp() {
        #expect(Paths.runtimeDirectory(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"]) == "/run/user/1000")
        #expect(Paths.runtimeDirectory(environment: ["XDG_RUNTIME_DIR": ""]) == "/tmp/memoryd-\(getuid())")
        #expect(Paths.runtimeDirectory(environment: [:]) == "/tmp/memoryd-\(getuid())")
        #expect(DaemonSettings.defaultSocketPath(environment: [:]) == "/tmp/memoryd-\(getuid())/memoryd.sock")
    }

    @Test func anUnreadableFileSaysWhy() throws {
        #expect(Paths.unreadableReason("/nonexistent/memoryd.toml") == "No such file or directory")
        #expect(Paths.unreadableReason("/") == "Is a directory")
    }
}

struct SuggestionTests {
    @Test(arguments: [
        ("workres", "workers"), ("retires", "retries"), ("dependson", "depends_on"), ("Timeout", "timeout"),
        ("jobz", "jobs"),
    ])
    func aCloseMisspellingFindsItsName(typed: String, meant: String) {
        let known = ["workers", "retries", "depends_on", "timeout", "jobs", "pool", "command"]
        #expect(Suggestion.closest(to: typed, among: known) == meant)
    }

    @Test func aNameFarFromEveryOneGetsNoSuggestion() {
        #expect(Suggestion.closest(to: "name", among: ["pool", "command", "retries"]) == nil)
        #expect(Suggestion.closest(to: "x", among: ["jobs"]) == nil)
        #expect(Suggestion.closest(to: "b", among: ["a"]) == nil)
        #expect(Suggestion.phrase(for: "colour", among: ["color"]) == "; did you mean 'color'?")
        #expect(Suggestion.phrase(for: "zzz", among: ["color"]) == "")
    }
}
