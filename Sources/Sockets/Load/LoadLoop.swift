import Inspect

#if canImport(Glibc)
    import Glibc
#endif

/// One event loop of the load generator: its share of the connections, each sending a request,
/// reading the response to its end with the strict HTTP parser, and sending the next.
struct LoadLoop {
    private struct Connection {
        var socket: Socket
        var connecting = true
        /// Bytes of the current request already sent.
        var sent = 0
        var requestStarted = 0.0
        var parser: HTTPParser
        var status = 0
        var responseBytes = 0
        var awaitingResponse = false
    }

    let address: SocketAddress
    let request: [UInt8]
    let connections: Int
    let configuration: HTTPLoad.Configuration
    let progress: HTTPLoad.Progress
    private var open: [Int32: Connection] = [:]
    private var result = HTTPLoad.Result()
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(
        address: SocketAddress, request: [UInt8], connections: Int, configuration: HTTPLoad.Configuration,
        progress: HTTPLoad.Progress
    ) {
        self.address = address
        self.request = request
        self.connections = connections
        self.configuration = configuration
        self.progress = progress
    }

    mutating func run(until deadline: Double, shouldStop: () -> Bool) -> HTTPLoad.Result {
        let epoll: Epoll
        do {
            epoll = try Epoll(capacity: max(16, min(connections, 1024)))
        } catch {
            fail(.connect, "\(error)", count: UInt64(connections))
            return result
        }
        for _ in 0..<connections { openConnection(epoll) }
        var nextTimeoutScan = Clock.now + 0.01
        while true {
            let now = Clock.now
            if now >= deadline || shouldStop() { break }
            let events: [Epoll.Event]
            do {
                events = try epoll.wait(timeout: min(0.01, deadline - now))
            } catch {
                fail(.read, "\(error)")
                break
            }
            for event in events { handle(event, epoll) }
            let after = Clock.now
            if after >= nextTimeoutScan {
                expire(now: after, epoll)
                nextTimeoutScan = after + 0.01
            }
            // A connection whose connect failed is opened again here, so a refusing server makes
            // a steady count of errors rather than a loop with no pause.
            while open.count < connections && Clock.now < deadline && !shouldStop() {
                let before = open.count
                openConnection(epoll)
                if open.count == before { break }
            }
        }
        for (_, connection) in open { connection.socket.close() }
        open.removeAll()
        return result
    }

    private mutating func fail(_ kind: HTTPLoad.ErrorKind, _ text: String, count: UInt64 = 1) {
        result.errors[kind, default: 0] += count
        if result.firstErrors[kind] == nil { result.firstErrors[kind] = text }
        progress.failed.add(count, ordering: .relaxed)
    }

    private mutating func openConnection(_ epoll: Epoll) {
        let socket: Socket
        do {
            socket = try Socket(.tcp, family: address.family)
        } catch {
            fail(.connect, "\(error)")
            return
        }
        socket.setNonBlocking(true)
        socket.setNoDelay(true)
        result.connectionsOpened += 1
        var parser = HTTPParser(kind: .response)
        parser.limits.bodyBytes = configuration.maxResponseBytes
        var connection = Connection(socket: socket, parser: parser)
        let status = address.withSockaddr { Glibc.connect(socket.descriptor, $0, $1) }
        if status != 0 && errno != EINPROGRESS {
            fail(.connect, "\(SocketError("connect \(address)"))")
            socket.close()
            return
        }
        connection.requestStarted = Clock.now
        do {
            try epoll.add(socket.descriptor, .writable)
        } catch {
            fail(.connect, "\(error)")
            socket.close()
            return
        }
        open[socket.descriptor] = connection
    }

    private mutating func close(_ fd: Int32, _ epoll: Epoll) {
        guard let connection = open.removeValue(forKey: fd) else { return }
        epoll.remove(fd)
        connection.socket.close()
    }

    /// Closes a connection after an error and opens another in its place.
    private mutating func replace(_ fd: Int32, _ epoll: Epoll, _ kind: HTTPLoad.ErrorKind, _ text: String) {
        fail(kind, text)
        close(fd, epoll)
    }

    private mutating func handle(_ event: Epoll.Event, _ epoll: Epoll) {
        let fd = event.descriptor
        guard var connection = open[fd] else { return }
        if connection.connecting {
            guard event.writable || event.hangup else { return }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure != 0 {
                replace(fd, epoll, .connect, "\(SocketError("connect \(address)", code: failure))")
                return
            }
            connection.connecting = false
            open[fd] = connection
            startRequest(fd, epoll)
            return
        }
        if event.writable && connection.sent < request.count {
            sendRest(fd, epoll)
            return
        }
        if event.readable || event.hangup { receive(fd, epoll) }
    }

    private mutating func startRequest(_ fd: Int32, _ epoll: Epoll) {
        guard var connection = open[fd] else { return }
        connection.sent = 0
        connection.requestStarted = Clock.now
        connection.status = 0
        connection.responseBytes = 0
        connection.awaitingResponse = true
        connection.parser.expectResponse(to: configuration.method)
        open[fd] = connection
        sendRest(fd, epoll)
    }

    private mutating func sendRest(_ fd: Int32, _ epoll: Epoll) {
        guard var connection = open[fd] else { return }
        var outcome: Result<Int, SocketError> = .success(0)
        let offset = connection.sent
        request.withUnsafeBytes { raw in
            do throws(SocketError) {
                outcome = .success(try connection.socket.trySend(UnsafeRawBufferPointer(rebasing: raw[offset...])))
            } catch {
                outcome = .failure(error)
            }
        }
        let sent: Int
        switch outcome {
        case .success(let count): sent = count
        case .failure(let error):
            replace(fd, epoll, error.peerWentAway ? .closed : .write, "\(error)")
            return
        }
        connection.sent += sent
        open[fd] = connection
        do {
            try epoll.modify(fd, connection.sent < request.count ? .writable : .readable)
        } catch {
            replace(fd, epoll, .write, "\(error)")
        }
    }

    private mutating func receive(_ fd: Int32, _ epoll: Epoll) {
        guard let connection = open[fd] else { return }
        let count: Int?
        do {
            count = try connection.socket.tryReceive(into: &buffer)
        } catch {
            replace(fd, epoll, error.peerWentAway ? .closed : .read, "\(error)")
            return
        }
        guard let count else { return }
        if count == 0 {
            guard var connection = open[fd] else { return }
            // The end of the stream may end a response whose body runs to the close.
            let events = connection.parser.finish()
            open[fd] = connection
            if connection.awaitingResponse && !apply(events, fd, epoll, closing: true) && open[fd] != nil {
                replace(fd, epoll, .closed, "the server closed the connection before the response ended")
            } else {
                close(fd, epoll)
            }
            return
        }
        result.bytesReceived += UInt64(count)
        guard var current = open[fd] else { return }
        guard current.awaitingResponse else {
            replace(fd, epoll, .protocolError, "the server sent \(count) bytes nobody asked for")
            return
        }
        current.responseBytes += count
        guard current.responseBytes <= configuration.maxResponseBytes else {
            replace(fd, epoll, .protocolError, "a response larger than \(configuration.maxResponseBytes) bytes")
            return
        }
        let events = current.parser.parse(buffer[0..<count])
        open[fd] = current
        _ = apply(events, fd, epoll, closing: false)
    }

    /// Applies the parser's events; true when a response ended.
    private mutating func apply(_ events: [HTTPEvent], _ fd: Int32, _ epoll: Epoll, closing: Bool) -> Bool {
        for event in events {
            guard var connection = open[fd] else { return false }
            switch event {
            case .head(let head):
                connection.status = head.status ?? 0
                open[fd] = connection
            case .body, .tunnel, .upgrade:
                continue
            case .end(_, let keepAlive):
                // A 1xx is followed by the real response.
                if connection.status < 200 { continue }
                let elapsed = Clock.now - connection.requestStarted
                result.latency.record(microseconds: UInt64(max(0, elapsed) * 1_000_000))
                result.requests += 1
                result.statusClasses[min(5, max(1, connection.status / 100))] += 1
                progress.completed.add(1, ordering: .relaxed)
                connection.awaitingResponse = false
                open[fd] = connection
                if closing { return true }
                if keepAlive && configuration.keepAlive {
                    startRequest(fd, epoll)
                } else {
                    close(fd, epoll)
                }
                return true
            case .failed(let error):
                // At the end of the stream the parser's complaint is that the response was cut.
                if closing {
                    replace(fd, epoll, .closed, "the server closed the connection before the response ended: \(error)")
                } else {
                    replace(fd, epoll, .protocolError, "the response broke HTTP/1.1: \(error)")
                }
                return false
            }
        }
        return false
    }

    /// Requests that waited longer than the timeout are errors; their connections are replaced.
    private mutating func expire(now: Double, _ epoll: Epoll) {
        let limit = configuration.timeout
        var late: [Int32] = []
        for (fd, connection) in open where now - connection.requestStarted > limit {
            if connection.connecting || connection.awaitingResponse { late.append(fd) }
        }
        for fd in late {
            let connecting = open[fd]?.connecting ?? false
            replace(
                fd, epoll, connecting ? .connect : .timeout,
                connecting
                    ? "connect \(address): no answer within \(limit) s"
                    : "no complete response within \(limit) s")
        }
    }
}
