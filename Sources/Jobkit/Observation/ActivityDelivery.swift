import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hands a scheduler's activities to its observers in the order the scheduler decided them, but
/// outside its lock.
///
/// A section under the scheduler's lock collects what it reports; before releasing that lock it takes
/// the delivery lock (``take(_:)``), and after releasing it delivers and lets go (``deliverTaken()``).
/// Delivery locks are taken in the order of the sections, so observers see one order, while the next
/// section already runs beside the delivery: on the benchmark, observer work held under the
/// scheduler's lock left the other threads spinning for a third of the run.
///
/// The delivery lock is a plain mutex because it is held across the release of the scheduler's lock,
/// which a scoped `Synchronization.Mutex` cannot express.
final class ActivityDelivery: @unchecked Sendable {
    // @unchecked: `taken` is only touched while `mutex` is held.
    /// The built-in event stream, called directly: it sees every activity first.
    private let events: EventStream
    /// The scheduler's other observers, given what they are interested in.
    private let observers: MultiplexJobObserver
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Taken from the scheduler's core by the holder of `mutex`, not yet delivered.
    private var taken: [JobActivity] = []

    init(events: EventStream, observers: [any JobObserver]) {
        self.events = events
        self.observers = MultiplexJobObserver(observers)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: errno \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Called under the scheduler's lock: takes the delivery lock and the activities in `pending`,
    /// leaving `pending` empty (with the capacity of the last batch delivered, so neither buffer
    /// allocates again).
    func take(_ pending: inout [JobActivity]) {
        pthread_mutex_lock(mutex)
        swap(&taken, &pending)
    }

    /// Called after releasing the scheduler's lock: delivers what ``take(_:)`` took, then releases the
    /// delivery lock.
    func deliverTaken() {
        // By index, so neither the activities nor the observers are copied to be handed on. The events of
        // one section share its time: one clock reading, not one per event.
        var time: Date?
        for index in taken.indices { observe(taken[index], time: &time) }
        taken.removeAll(keepingCapacity: true)
        pthread_mutex_unlock(mutex)
    }

    /// Delivers an activity reported outside the scheduler's lock: a running attempt's progress and log
    /// lines. The attempt's `started` was taken before the attempt could run, so it is delivered first.
    func deliver(_ activity: JobActivity) {
        pthread_mutex_lock(mutex)
        var time: Date?
        observe(activity, time: &time)
        pthread_mutex_unlock(mutex)
    }

    /// Hands `activity` to the event stream, stamped with `time` (read now if it is `nil`), and to the
    /// other observers.
    private func observe(_ activity: JobActivity, time: inout Date?) {
        if EventStream.carries(activity) {
            let stamp = time ?? events.wallTime()
            time = stamp
            events.record(activity, at: stamp)
        }
        observers.observe(activity)
    }
}
