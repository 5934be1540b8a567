#if canImport(Glibc)
    import Glibc
#endif

/// Serves one connection with blocking calls (recv, send, sendfile), the way the serial, fork
/// and threads models do: read, answer, repeat while the connection is kept alive. poll(2)
/// enforces the request and idle timeouts; SO_SNDTIMEO the send timeout.
struct BlockingConnection {
    let socket: Socket
    let peer: SocketAddress
    let files: StaticFiles
    let limits: ServerLimits
    let log: AccessLog
    /// The serving thread's cache (nil: none).
    var cache: FileCache? = nil

    /// Serves until the client closes, a timeout passes, a response closes the connection, or
    /// `shouldStop` says so between requests. Returns the number of requests answered.
    @discardableResult
    func serve(shouldStop: () -> Bool) -> Int {
        var machine = HTTPServerConnection(files: files, limits: limits, cache: cache)
        var dates = HTTPDate.Cache()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        socket.setTimeout(seconds: limits.sendTimeout)
        socket.setNoDelay()
        var answered = 0
        var sendFailed = false
        serving: while true {
            let now = Clock.now
            let deadline = machine.deadline
            if machine.isIdle && shouldStop() { break }
            let ready: Bool
            do {
                ready = try socket.wait(for: .readable, timeout: max(0, min(deadline - now, 0.25)))
            } catch {
                break
            }
            if !ready {
                guard Clock.now >= deadline else { continue }
                if let response = machine.timedOut() { _ = try? send(response, dates: &dates) }
                break
            }
            guard let count = try? socket.receive(into: &buffer) else { break }
            if count == 0 {
                machine.receiveEnd()
                break
            }
            let responses = machine.receive(buffer[0..<count])
            for response in responses {
                do {
                    let sent = try send(response, dates: &dates)
                    log.record(peer: peer, response: response, bodyBytes: sent)
                    if !response.isInterim { answered += 1 }
                } catch {
                    sendFailed = true
                    break serving
                }
            }
            if machine.closing { break }
        }
        if machine.endedWithError || sendFailed { socket.lingeringClose() } else { socket.close() }
        return answered
    }

    /// Sends one response (head, then body). Returns the body bytes sent.
    func send(_ response: HTTPServerResponse, dates: inout HTTPDate.Cache) throws(SocketError) -> Int {
        let (bytes, file) = response.wire(date: dates.now())
        try socket.sendAll(bytes)
        if let file { try Self.sendFile(file.file, offset: file.offset, length: file.length, to: socket) }
        return response.body.length
    }

    /// sendfile(2) until `length` bytes went out: the kernel copies file pages to the socket.
    static func sendFile(_ file: OpenFile, offset: Int, length: Int, to socket: Socket) throws(SocketError) {
        var position = off_t(offset)
        var remaining = length
        while remaining > 0 {
            let sent = sendfile(socket.descriptor, file.descriptor, &position, min(remaining, 1 << 30))
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError("sendfile")
            }
            // The file shrank after its length was promised: the connection must end.
            if sent == 0 { throw SocketError("sendfile", code: EIO, detail: "file shorter than announced") }
            remaining -= sent
        }
    }
}
