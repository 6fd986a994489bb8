import Foundation
import Jobkit
import JobkitDaemon
import Testing

@testable import MemorydCore

/// `memoryd top`'s layout without a terminal: sparklines, the bucketing of finishes, the fit to a size.
struct TopScreenTests {
    @Test func sparklinesScaleToTheBusiestBucket() {
        #expect(TopScreen.sparkline([0, 1, 2, 4, 8], width: 5) == " ▁▂▄█")
        #expect(TopScreen.sparkline([0, 0], width: 4) == "    ")
        #expect(TopScreen.sparkline([3], width: 3) == "  █")
    }

    @Test func finishesCountInTheBucketOfTheirTime() {
        let model = TopModel(bucketSeconds: 2, bucketCount: 3, recentEvents: 2)
        let now = Date(timeIntervalSince1970: 1_000)
        func finished(_ job: String, at seconds: Double, _ kind: EventKind = .succeeded) -> JobEvent {
            var event = JobEvent(
                kind: kind, task: TaskRef(id: TaskID(rawValue: 1), name: job, jobType: job, correlationID: nil))
            event.time = Date(timeIntervalSince1970: seconds)
            return event
        }
        for time in [995.0, 996, 997, 999, 999.5] { model.record(finished("extract", at: time)) }
        model.record(finished("extract", at: 998, .failed))
        model.record(finished("extract", at: 999, .started))
        // Buckets [996, 998), [998, 1000), [1000, 1002): 995 is out of the window.
        #expect(model.frame(at: now).finished["extract"] == [2, 3, 0])
        // The list keeps the newest two task events.
        #expect(model.frame(at: now).recentEvents.count == 2)
        #expect(model.frame(at: now).recentEvents.last?.contains("started") == true)
    }

    @Test func theScreenFitsTheTerminal() throws {
        let status = StatusSnapshot(
            pid: 42, startedAt: Date(timeIntervalSince1970: 0), time: Date(timeIntervalSince1970: 65),
            workers: [WorkerResource(WorkerStatus(name: "worker-0", busy: false, task: nil, taskName: nil))], pools: [],
            tasksByState: [:], recentTasks: [], jobs: [], lastEventSeq: 0)
        let model = TopModel()
        model.update(status: status)
        let lines = TopScreen.render(model.frame(at: Date(timeIntervalSince1970: 65)), width: 30, height: 5)
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { $0.count <= 30 })
        #expect(lines[0] == "memoryd pid 42 · up 1m05s · 1…")
        let waiting = TopScreen.render(TopModel().frame(at: Date()), width: 80, height: 24)
        #expect(waiting == ["memoryd top — waiting for the daemon…"])
    }

    @Test func everyTaskStateIsShownAtNinetyColumnsAndASnapshotHasNoKeyHint() throws {
        let status = StatusSnapshot(
            pid: 42, startedAt: Date(timeIntervalSince1970: 0), time: Date(timeIntervalSince1970: 65),
            workers: [WorkerResource(WorkerStatus(name: "worker-0", busy: false, task: nil, taskName: nil))], pools: [],
            tasksByState: Dictionary(uniqueKeysWithValues: TaskState.allCases.map { ($0.rawValue, 1234) }),
            recentTasks: [], jobs: [], lastEventSeq: 0)
        let model = TopModel()
        model.update(status: status)
        let frame = model.frame(at: Date(timeIntervalSince1970: 65))
        let interactive = TopScreen.render(frame, width: 90, height: 40)
        #expect(interactive[0].hasSuffix(TopScreen.keyHint))
        #expect(interactive.allSatisfy { $0.count <= 90 && !$0.hasSuffix("…") }, "\(interactive)")
        let taskLines = interactive.drop { !$0.hasPrefix("tasks ") }.prefix { !$0.isEmpty }.joined(separator: " ")
        for state in TaskState.allCases { #expect(taskLines.contains("\(state.rawValue) 1234"), "\(state)") }
        let snapshot = TopScreen.render(frame, width: 90, height: 40, hint: nil)
        #expect(!snapshot[0].contains(TopScreen.keyHint))
    }
}
