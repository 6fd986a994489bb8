import CJobkitMetricsSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Gives each thread that observes histograms the smallest free slot number, for as long as it lives.
///
/// A histogram's stripe N is written only by the thread holding slot N, so slots must never be shared by two
/// live threads: a slot is handed out once and only returned when its thread exits. A thread's slot
/// is kept in a C thread-local (one load to read); when the thread exits, a pthread key destructor returns
/// the slot for the next new thread.
enum StripeSlots {
    private struct Pool {
        var next = 0
        /// Free slots, smallest last.
        var free: [Int] = []
    }

    private static let pool = Mutex(Pool())

    /// Only there for its destructor, which runs when a thread that holds a slot exits.
    private static let exitKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { value in
            guard let value else { return }
            StripeSlots.release(Int(bitPattern: value) - 1)
        }
        precondition(status == 0, "pthread_key_create failed with \(status)")
        return key
    }()

    /// The calling thread's slot.
    @inline(__always)
    static func current() -> Int {
        let stored = cjm_get_thread_stripe_slot()
        return stored != 0 ? stored &- 1 : claim()
    }

    private static func claim() -> Int {
        let slot = pool.withLock { pool -> Int in
            if let reused = pool.free.popLast() { return reused }
            defer { pool.next += 1 }
            return pool.next
        }
        cjm_set_thread_stripe_slot(slot + 1)
        pthread_setspecific(exitKey, UnsafeRawPointer(bitPattern: slot + 1))
        return slot
    }

    private static func release(_ slot: Int) {
        cjm_set_thread_stripe_slot(0)
        pool.withLock { pool in
            // Keep the list sorted descending so the smallest free slot is handed out next.
            let index = pool.free.firstIndex { $0 < slot } ?? pool.free.count
            pool.free.insert(slot, at: index)
        }
    }
}
