import CMicroHTTPD
import Dispatch
import Synchronization

/// Deferred answers: a request's connection parked (suspended in libmicrohttpd) while its work runs
/// elsewhere, brought back when the work answers; and the bookkeeping that lets the server stop with
/// none of them left parked, which libmicrohttpd cannot do.
extension HTTPServer {
    /// Parks `connection` until the work `start` begins answers through its responder; the access handler
    /// is called again then. A server that is stopping answers 503 at once and starts nothing.
    func park(_ request: RequestState, on connection: OpaquePointer, start: @Sendable (HTTPResponder) -> Void)
        -> MHD_Result
    {
        let handle = ConnectionHandle(connection)
        let responder = HTTPResponder(
            wake: { cmhd_resume_connection(handle.connection) },
            settled: { [weak self] in self?.deferredSettled($0) })
        request.responder = responder
        // Parked under the lock that ``stop()`` takes to wake what is pending: nothing it wakes is still
        // unparked, and nothing parks once it has begun.
        let parked = pendingAnswers.withLock { pending -> Bool in
            guard !pending.stopping else { return false }
            pending.responders[ObjectIdentifier(responder)] = responder
            if !request.wasDeferred {
                request.wasDeferred = true
                pending.requests += 1
            }
            cmhd_suspend_connection(connection)
            return true
        }
        guard parked else {
            request.responder = nil
            return queue(
                .error(503, code: "shutting_down", message: "the server is stopping and takes no new work"),
                on: connection)
        }
        start(responder)
        return .YES
    }

    /// A deferred answer is in (or abandoned); its request is still counted until it has been sent.
    private func deferredSettled(_ responder: HTTPResponder) {
        pendingAnswers.withLock { pending in
            pending.responders.removeValue(forKey: ObjectIdentifier(responder))
            pending.signalIfDrained()
        }
    }

    /// A request whose answer was deferred has ended: sent, or its connection closed.
    func deferredRequestEnded() {
        pendingAnswers.withLock { pending in
            pending.requests -= 1
            pending.signalIfDrained()
        }
    }

    /// Lets no new answer be deferred and waits up to the grace for those under way to be sent; the ones
    /// still not in are answered 503, which gets as long again to be sent.
    func settlePendingAnswers() {
        let drained = DispatchSemaphore(value: 0)
        let waiting = pendingAnswers.withLock { pending -> Bool in
            pending.stopping = true
            pending.drained = drained
            return !pending.isDrained
        }
        guard waiting else { return }
        if drained.wait(timeout: .now() + configuration.deferredStopGrace.dispatchInterval) == .success { return }
        let left = pendingAnswers.withLock { Array($0.responders.values) }
        for responder in left { responder.abandon() }
        _ = drained.wait(timeout: .now() + configuration.deferredStopGrace.dispatchInterval)
    }
}

/// The deferred answers under way, and whether ``HTTPServer/stop()`` has begun (then none is deferred).
struct PendingAnswers {
    var responders: [ObjectIdentifier: HTTPResponder] = [:]
    /// Requests whose answer was deferred and that have not ended (their answer not sent yet).
    var requests = 0
    var stopping = false
    /// Signalled once everything is sent after ``HTTPServer/stop()`` began.
    var drained: DispatchSemaphore?

    var isDrained: Bool { responders.isEmpty && requests == 0 }

    mutating func signalIfDrained() {
        guard isDrained, let drained else { return }
        drained.signal()
        self.drained = nil
    }
}

/// A libmicrohttpd connection carried to the thread that resumes it. libmicrohttpd keeps a suspended
/// connection alive until it is resumed, and resuming is safe from any thread.
struct ConnectionHandle: @unchecked Sendable {
    // @unchecked: only passed to MHD_suspend_connection and MHD_resume_connection, which are thread-safe.
    let connection: OpaquePointer
    init(_ connection: OpaquePointer) { self.connection = connection }
}
