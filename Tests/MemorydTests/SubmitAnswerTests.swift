import Foundation
import JobkitDaemon
import Testing

@testable import MemorydCore

/// Submit's answer is written by hand; it must be what the wire encoder writes.
struct SubmitAnswerTests {
    @Test(arguments: [
        ["extract": "t7"],
        ["extract": "t7", "load": "t8", "consolidate": "t9", "a-b_c": "t10"],
        ["odd \"name\" \\ / é": "t1", "tab\tand\nnewline": "t2"],
    ])
    func theHandWrittenAnswerIsTheEncodersBytes(_ tasks: [String: String]) throws {
        let started = TasksAPI.Started(id: tasks.values.sorted().first!, run: "run-1764800000000-2a", tasks: tasks)
        let encoded = Array(try WireJSON.encoder().encode(started)) + [10]
        #expect(String(decoding: started.body, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
    }
}
