import Foundation
import Jobkit
import Testing

@testable import MemorydCore

struct ConfigStateTests {
    @Test func aReloadThatChangesPoolsIsRefusedAndTheOutcomeIsAnEvent() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "[pools.llm]\nslots = 1\n[jobs.a]\ncommand = [\"true\"]\npool = \"llm\"\n".write(
            to: file, atomically: true, encoding: .utf8)
        let config = try MemorydConfig.load(path: file.path)
        let scheduler = try Scheduler(SchedulerConfiguration(workers: 1, pools: ["llm": 1]))
        let state = ConfigState(path: file.path, config: config, scheduler: scheduler)

        try "[pools.llm]\nslots = 2\n[jobs.a]\ncommand = [\"true\"]\npool = \"llm\"\n".write(
            to: file, atomically: true, encoding: .utf8)
        guard case .rejected(let reason) = state.reload() else {
            Issue.record("a pool change was accepted")
            return
        }
        #expect(reason.contains("pools changed (llm=1 → llm=2)"))
        #expect(state.pipeline?.config.pools.first?.slots == 1)
        let events = scheduler.events.history()
        #expect(events.last?.kind == ConfigState.rejectedKind)

        try "[pools.llm]\nslots = 1\n[jobs.a]\ncommand = [\"true\"]\npool = \"llm\"\n[jobs.b]\ncommand = [\"true\"]\n"
            .write(to: file, atomically: true, encoding: .utf8)
        guard case .reloaded = state.reload() else {
            Issue.record("a valid reload was refused")
            return
        }
        #expect(state.pipeline?.config.jobs.count == 2)
        #expect(scheduler.events.history().last?.kind == ConfigState.reloadedKind)
        #expect(ConfigState(path: nil, config: nil, scheduler: scheduler).reload().isNoConfig)
    }
}

extension ConfigState.Outcome {
    var isNoConfig: Bool {
        if case .noConfig = self { return true }
        return false
    }
}
