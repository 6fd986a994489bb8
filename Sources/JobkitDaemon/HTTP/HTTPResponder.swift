import Synchronization

/// How a deferred answer (``HTTPResponse/deferred(_:)``) reaches its connection: whoever finishes the
/// work calls ``respond(_:)`` once, from any thread.
///
/// The connection waits parked meanwhile and holds no thread. `make` runs on one of the server's threads
/// once the connection is back, so what it does after the work (submitting the recorded runs, encoding
/// the answer) is not done on the thread that finished the work (the queue's committer).
public final class HTTPResponder: Sendable {
    enum State {
        /// The work is under way.
        case waiting
        /// The work is done; `make` builds the answer.
        case answered(@Sendable () -> HTTPResponse)
        /// The server stopped before the work was done; the client is told so.
        case abandoned
    }

    private let state = Mutex(State.waiting)
    /// Brings the parked connection back (libmicrohttpd's resume), or wakes an in-process caller.
    private let wake: @Sendable () -> Void
    /// Called once, with this responder, when it is answered or abandoned (the server's bookkeeping).
    private let settled: @Sendable (HTTPResponder) -> Void

    init(wake: @escaping @Sendable () -> Void, settled: @escaping @Sendable (HTTPResponder) -> Void = { _ in }) {
        self.wake = wake
        self.settled = settled
    }

    /// Answers the request with what `make` returns, built on one of the server's threads. Only the first
    /// call counts.
    public func respond(_ make: @escaping @Sendable () -> HTTPResponse) {
        settle(.answered(make))
    }

    /// Answers the request with `response`. Only the first call counts.
    public func respond(_ response: HTTPResponse) {
        respond { response }
    }

    /// Gives up on the work (the server is stopping): the client gets 503, a later answer is dropped.
    func abandon() { settle(.abandoned) }

    /// The answer, once the connection is back.
    var answer: HTTPResponse {
        switch state.withLock({ $0 }) {
        case .answered(let make):
            make()
        case .waiting, .abandoned:
            .error(503, code: "shutting_down", message: "the server stopped before this request was answered")
        }
    }

    private func settle(_ outcome: State) {
        let first = state.withLock { state -> Bool in
            guard case .waiting = state else { return false }
            state = outcome
            return true
        }
        guard first else { return }
        // Woken before the server forgets it, so a server that stops once nothing is pending never
        // stops with this connection still parked.
        wake()
        settled(self)
    }
}
