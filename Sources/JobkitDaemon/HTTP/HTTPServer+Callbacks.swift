import CMicroHTTPD

#if canImport(Glibc)
    import Glibc
#endif

// libmicrohttpd's callbacks, as C function pointers; each finds its Swift object through its context.

/// What libmicrohttpd's stream callbacks get: the stream and the server that tracks it.
final class StreamContext {
    let stream: HTTPStream
    let server: HTTPServer
    init(stream: HTTPStream, server: HTTPServer) {
        self.stream = stream
        self.server = server
    }
}

/// The bytes of a streaming body; -1 (`MHD_CONTENT_READER_END_OF_STREAM`) ends the response.
let streamReader: MHD_ContentReaderCallback = { context, _, buffer, size in
    guard let context, let buffer else { return -1 }
    let stream = Unmanaged<StreamContext>.fromOpaque(context).takeUnretainedValue().stream
    guard let count = stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size)) else { return -1 }
    return count
}

/// Called once the response is done with, whether sent in full or the client went away.
let streamFree: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    let owner = Unmanaged<StreamContext>.fromOpaque(context).takeRetainedValue()
    owner.server.streamEnded(owner.stream)
}

let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, version, uploadData, uploadSize, state in
    guard let context, let connection, let url, let method, let uploadSize, let state else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    return server.handle(
        connection: connection, url: String(cString: url), method: String(cString: method),
        version: version.map { String(cString: $0) } ?? "", uploadData: uploadData, uploadSize: uploadSize,
        state: state)
}

let completionHandler: MHD_RequestCompletedCallback = { context, connection, state, _ in
    if let connection, let tracked = HTTPServer.tracked(connection) { tracked.owner.requestEnded(tracked) }
    guard let state, let pointer = state.pointee else { return }
    let request = Unmanaged<RequestState>.fromOpaque(pointer).takeRetainedValue()
    state.pointee = nil
    if request.wasDeferred, let context {
        Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().deferredRequestEnded()
    }
}

/// Sees each new connection's address before libmicrohttpd takes it on.
let acceptPolicy: MHD_AcceptPolicyCallback = { context, address, _ in
    guard let context else { return .YES }
    let guardian = Unmanaged<ConnectionGuard>.fromOpaque(context).takeUnretainedValue()
    return guardian.admit(address: ConnectionGuard.addressKey(address)) ? .YES : .NO
}

/// Starts and ends the guard's record of each connection; the record rides in the socket context.
let connectionNotification: MHD_NotifyConnectionCallback = { context, connection, socketContext, code in
    guard let context, let connection, let socketContext else { return }
    let guardian = Unmanaged<ConnectionGuard>.fromOpaque(context).takeUnretainedValue()
    switch code {
    case .CONNECTION_NOTIFY_STARTED:
        let descriptor = cmhd_connection_fd(connection)
        let tracked = guardian.opened(
            descriptor: descriptor, address: ConnectionGuard.addressKey(cmhd_connection_client_address(connection)),
            peer: HTTPServer.peer(ofDescriptor: descriptor))
        socketContext.pointee = Unmanaged.passRetained(tracked).toOpaque()
    case .CONNECTION_NOTIFY_CLOSED:
        guard let pointer = socketContext.pointee else { return }
        socketContext.pointee = nil
        guardian.closed(Unmanaged<ConnectionGuard.Connection>.fromOpaque(pointer).takeRetainedValue())
    default:
        return
    }
}
