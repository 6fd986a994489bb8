/// Names the daemon and its clients (the CLI, `top`, the page) share on the wire, so a client never
/// reaches into server types for them.
enum MemorydAPI {
    /// The job type of the daemon's own periodic work, as its metrics, events and task listings name it;
    /// clients leave it out of what they show.
    static let housekeepingJobType = "housekeeping"
}
