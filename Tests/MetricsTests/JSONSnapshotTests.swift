import Foundation
import JobkitMetrics
import Testing

/// The JSON snapshot parses as JSON and carries the same values as the text formats.
struct JSONSnapshotTests {
    @Test func theSnapshotIsValidJSONWithEveryFamilySeriesAndBucket() throws {
        let registry = try ExpositionTests().sampleRegistry()
        let infinite = try registry.gauge("edge_values", help: "Not representable as JSON numbers.")
        infinite.unlabelled.set(.infinity)
        let bytes = JSONSnapshot.render(registry.collect())
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let families = try #require(document["families"] as? [[String: Any]])
        #expect(
            families.compactMap { $0["name"] as? String } == [
                "edge_values", "idle", "jobkit_queue_depth", "jobkit_task_duration_seconds", "jobkit_tasks_total",
                "odd_values",
            ])

        let byName = Dictionary(uniqueKeysWithValues: families.map { ($0["name"] as! String, $0) })
        let edge = try #require((byName["edge_values"]?["series"] as? [[String: Any]])?.first)
        #expect(edge["value"] as? String == "+Inf")

        let tasks = try #require(byName["jobkit_tasks_total"])
        #expect(tasks["type"] as? String == "counter")
        let taskSeries = try #require(tasks["series"] as? [[String: Any]])
        #expect(taskSeries.count == 2)
        #expect(taskSeries[1]["labels"] as? [String: String] == ["job": "extract", "outcome": "success"])
        #expect(taskSeries[1]["value"] as? Int == 3)

        let odd = try #require((byName["odd_values"]?["series"] as? [[String: Any]])?.first)
        #expect(odd["labels"] as? [String: String] == ["path": "C:\\dir \"x\"\nend"])

        let duration = try #require(byName["jobkit_task_duration_seconds"])
        #expect(duration["unit"] as? String == "seconds")
        let histogram = try #require((duration["series"] as? [[String: Any]])?.first)
        #expect(histogram["count"] as? Int == 3)
        #expect(histogram["sum"] as? Double == 2.8)
        let buckets = try #require(histogram["buckets"] as? [[String: Any]])
        #expect(buckets.compactMap { $0["count"] as? Int } == [1, 2, 3])
        #expect(buckets.last?["le"] as? String == "+Inf")
        #expect(buckets.first?["le"] as? Double == 0.1)
    }
}
