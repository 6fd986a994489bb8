import JobkitMetrics
import Testing
import JobkitSupport

struct HeaderListTests {
    @Test func entriesKeepTheirTokenParametersAndQuality() {
        let entries = QualityListEntry.parse("Text/Event-Stream;q=0.5, application/x-ndjson ; charset=utf-8")
        #expect(entries.map(\.token) == ["text/event-stream", "application/x-ndjson"])
        #expect(entries.map(\.quality) == [0.5, 1])
        #expect(entries[1].parameters == ["charset": "utf-8"])
    }

    @Test func emptyEntriesAreSkipped() {
        #expect(QualityListEntry.parse(" , gzip,,").map(\.token) == ["gzip"])
    }

    @Test func trimmingRemovesSpacesTabsAndLineBreaksAtBothEnds() {
        #expect(" \tjobs  run\r\n".trimmingWhitespace() == "jobs  run")
        #expect("   ".trimmingWhitespace() == "")
        #expect("x".trimmingWhitespace() == "x")
    }
}
