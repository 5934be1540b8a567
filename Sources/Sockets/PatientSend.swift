#if canImport(Glibc)
    import Glibc
#endif

/// Why a blocking send gave up before every byte went out.
public enum SendFailure: Error, Equatable, CustomStringConvertible {
    /// The client went away (`SocketError.peerWentAway`: EPIPE, ECONNRESET…): an ordinary event for a server,
    /// not a failure of it. A browser tab closed, curl cancelled, `head -c` had enough.
    case clientGone
    /// No byte went out for the whole stall timeout: the client stopped reading.
    case stalled
    /// The caller's `giveUp` said to stop (a stop request).
    case abandoned
    /// Anything else (a file shorter than announced, a bad descriptor): the server's own problem.
    case failed(SocketError)

    public var description: String {
        switch self {
        case .clientGone: "the client went away"
        case .stalled: "the client stopped reading"
        case .abandoned: "abandoned (stop requested)"
        case .failed(let error): error.description
        }
    }

    /// Errors that mean the peer is gone rather than that the sender is broken.
    static func classify(_ error: SocketError) -> SendFailure {
        error.peerWentAway ? .clientGone : .failed(error)
    }
}

/// Blocking sends that never wait unboundedly: the socket's SO_SNDTIMEO is set to `slice`, so a
/// send blocked on a full buffer wakes that often to look at the clock and at `giveUp`.
/// sendfile(2) cannot take MSG_NOSIGNAL: besides the process-wide SIGPIPE ignore, its EPIPE and
/// ECONNRESET are reported as `.clientGone`, never as the server's failure.
public struct PatientSender {
    public let socket: Socket
    /// Seconds without progress after which the client counts as not reading.
    public var stallTimeout: Double
    /// How often a blocked send wakes.
    public static let slice = 0.1

    public init(socket: Socket, stallTimeout: Double) {
        self.socket = socket
        self.stallTimeout = stallTimeout
        socket.setTimeout(seconds: Self.slice)
    }

    /// Sends every byte of `raw`.
    public func sendAll(_ raw: UnsafeRawBufferPointer, giveUp: () -> Bool) throws(SendFailure) {
        var offset = 0
        var lastProgress = Clock.now
        while offset < raw.count {
            // A slow reader makes progress every slice and never sees EAGAIN: look here too.
            if offset > 0 && giveUp() { throw .abandoned }
            let sent = Glibc.send(socket.descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if sent > 0 {
                offset += sent
                lastProgress = Clock.now
            } else if sent < 0 {
                try waitOrFail(errno, "send", lastProgress: lastProgress, giveUp: giveUp)
            }
        }
    }

    public func sendAll(_ bytes: [UInt8], giveUp: () -> Bool) throws(SendFailure) {
        var failure: SendFailure?
        bytes.withUnsafeBytes { raw in
            do throws(SendFailure) { try sendAll(raw, giveUp: giveUp) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// sendfile(2) until `length` bytes from `offset` went out.
    public func sendFile(_ file: Int32, offset: Int, length: Int, giveUp: () -> Bool) throws(SendFailure) {
        var position = off_t(offset)
        var remaining = length
        var lastProgress = Clock.now
        while remaining > 0 {
            if remaining < length && giveUp() { throw .abandoned }
            let sent = sendfile(socket.descriptor, file, &position, min(remaining, 1 << 30))
            if sent > 0 {
                remaining -= sent
                lastProgress = Clock.now
            } else if sent == 0 {
                // The file shrank after its length was promised: the connection must end.
                throw .failed(SocketError("sendfile", code: EIO, detail: "file shorter than announced"))
            } else {
                try waitOrFail(errno, "sendfile", lastProgress: lastProgress, giveUp: giveUp)
            }
        }
    }

    /// After a failed call: go on (EINTR, or the slice passed on a full buffer), or throw.
    private func waitOrFail(_ code: Int32, _ operation: String, lastProgress: Double, giveUp: () -> Bool)
        throws(SendFailure)
    {
        switch code {
        case EINTR:
            break
        case EAGAIN:
            if giveUp() { throw .abandoned }
            if Clock.now - lastProgress >= stallTimeout { throw .stalled }
        default:
            throw SendFailure.classify(SocketError(operation, code: code))
        }
    }
}
