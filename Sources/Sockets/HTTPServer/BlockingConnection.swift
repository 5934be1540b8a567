#if canImport(Glibc)
    import Glibc
#endif

/// Serves one connection with blocking calls (recv, send, sendfile), the way the serial, fork
/// and threads models do: read, answer, repeat while the connection is kept alive. poll(2)
/// enforces the request and idle timeouts; sends wake every `PatientSender.slice` to enforce
/// the send timeout and stop requests.
struct BlockingConnection {
    let socket: Socket
    let peer: SocketAddress
    let files: StaticFiles
    let limits: ServerLimits
    let log: AccessLog
    /// The serving thread's cache (nil: none).
    var cache: FileCache? = nil

    /// How a connection went, for the server's summary.
    struct Outcome {
        var answered = 0
        /// The client reset the connection or closed it under a response (EPIPE, ECONNRESET).
        var clientGone = false
    }

    /// Seconds a response in progress may still take once a stop was requested: the whole stop,
    /// summary included, must stay under a second.
    static let stopGrace = 0.3

    /// Serves until the client closes or goes away, a timeout passes, a response closes the
    /// connection, or `shouldStop` says so (a request half-received is dropped; a response
    /// half-sent gets `stopGrace` seconds).
    @discardableResult
    func serve(shouldStop: () -> Bool) -> Outcome {
        var machine = HTTPServerConnection(files: files, limits: limits, cache: cache)
        var dates = HTTPDate.Cache()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let sender = PatientSender(socket: socket, stallTimeout: limits.sendTimeout)
        socket.setNoDelay()
        var outcome = Outcome()
        var stopSeenAt: Double?
        func abandoning() -> Bool {
            guard shouldStop() else { return false }
            let now = Clock.now
            let seen = stopSeenAt ?? now
            stopSeenAt = seen
            return now - seen >= Self.stopGrace
        }
        // An abrupt end (client gone, send stalled or abandoned) closes at once: nobody is
        // left to read an error response, so there is nothing to linger for.
        var abrupt = false
        serving: while !shouldStop() {
            let now = Clock.now
            let deadline = machine.deadline
            let ready: Bool
            do {
                ready = try socket.wait(for: .readable, timeout: max(0, min(deadline - now, 0.25)))
            } catch {
                break
            }
            if !ready {
                guard Clock.now >= deadline else { continue }
                if let response = machine.timedOut() {
                    do {
                        let sent = try send(response, with: sender, dates: &dates, giveUp: abandoning)
                        log.record(peer: peer, response: response, bodyBytes: sent)
                    } catch {
                        outcome.clientGone = error == .clientGone
                        abrupt = true
                    }
                }
                break
            }
            let count: Int
            do {
                count = try socket.receive(into: &buffer)
            } catch {
                // ECONNRESET: the client reset (SO_LINGER 0, a crash) before or during a request.
                outcome.clientGone = error.peerWentAway
                abrupt = true
                break
            }
            if count == 0 {
                machine.receiveEnd()
                break
            }
            let responses = machine.receive(buffer[0..<count])
            for response in responses {
                do {
                    let sent = try send(response, with: sender, dates: &dates, giveUp: abandoning)
                    log.record(peer: peer, response: response, bodyBytes: sent)
                    if !response.isInterim { outcome.answered += 1 }
                } catch {
                    outcome.clientGone = error == .clientGone
                    abrupt = true
                    break serving
                }
            }
            if machine.closing { break }
        }
        if machine.endedWithError && !abrupt {
            lingeringClose(buffer: &buffer, shouldStop: shouldStop)
        } else {
            socket.close()
        }
        return outcome
    }

    /// Sends one response (head, then body). Returns the body bytes sent.
    func send(
        _ response: HTTPServerResponse, with sender: PatientSender, dates: inout HTTPDate.Cache, giveUp: () -> Bool
    )
        throws(SendFailure) -> Int
    {
        let (bytes, file) = response.wire(date: dates.now())
        try sender.sendAll(bytes, giveUp: giveUp)
        if let file {
            try sender.sendFile(file.file.descriptor, offset: file.offset, length: file.length, giveUp: giveUp)
        }
        return response.body.length
    }

    /// `Socket.lingeringClose` (half-close, discard what the client still sends for up to a
    /// second, so an error response is not lost to a reset), cut short by a stop request.
    private func lingeringClose(buffer: inout [UInt8], shouldStop: () -> Bool) {
        socket.shutdown(.write)
        let deadline = Clock.now + 1
        var discarded = 0
        while discarded < 1 << 20, !shouldStop() {
            let left = deadline - Clock.now
            guard left > 0, let ready = try? socket.wait(for: .readable, timeout: min(left, 0.25)) else { break }
            guard ready else { continue }
            guard let count = try? socket.receive(into: &buffer), count > 0 else { break }
            discarded += count
        }
        socket.close()
    }
}
