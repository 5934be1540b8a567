import Dispatch
import ProcessControl
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One connection of the events model: its protocol machine, what is waiting to be sent,
/// and its clocks.
final class EventConnection {
    enum Pending {
        /// `endsAnswer`: the last piece of a final (not 100 Continue) response without a file body.
        case bytes([UInt8], sent: Int, endsAnswer: Bool)
        /// A file body always ends its response.
        case file(OpenFile, offset: Int, remaining: Int)
    }

    let socket: Socket
    let peer: SocketAddress
    var machine: HTTPServerConnection
    var output: [Pending] = []
    var interest: Epoll.Interest = .readable
    var lastProgress: Double
    /// Reading stopped: too many queued responses, or the request stream is over.
    var readPaused = false
    /// The response said close and the last one was an error: discard input until this time.
    var lingerUntil: Double?
    var closeWhenFlushed = false

    init(socket: Socket, peer: SocketAddress, machine: HTTPServerConnection, now: Double) {
        self.socket = socket
        self.peer = peer
        self.machine = machine
        lastProgress = now
    }
}

extension HTTPServer {
    /// The events model: one thread waits on every socket with epoll and does whatever work is
    /// ready (accept, read, parse, write), never blocking on one client.
    /// One event loop per worker, each on its own thread with its own epoll set, connections and
    /// file cache: nothing is shared but the listening socket (`.shared`; with `.reuseport` not
    /// even that), the read-only files and the log, so N loops use N cores without locks. The
    /// calling thread runs the first loop.
    func runEvents(_ shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        guard workers > 1 else {
            var loop = try EventLoop(server: self, listener: listener)
            return try loop.run(shouldStop)
        }
        let results = Mutex<[Result<Summary, SocketError>]>([])
        let finished = DispatchSemaphore(value: 0)
        let others = acceptMode == .reuseport ? extraListeners : Array(repeating: listener, count: workers - 1)
        for extra in others {
            let started = Threads.detach(stackSize: 1 << 20) { [self] in
                let result = Result { () throws(SocketError) -> Summary in
                    var loop = try EventLoop(server: self, listener: extra)
                    return try loop.run(shouldStop)
                }
                results.withLock { $0.append(result) }
                finished.signal()
            }
            if !started {
                results.withLock { $0.append(.failure(SocketError("pthread_create", code: EAGAIN))) }
                finished.signal()
            }
        }
        var summary = Summary()
        var first: Result<Summary, SocketError>
        do throws(SocketError) {
            var loop = try EventLoop(server: self, listener: listener)
            first = .success(try loop.run(shouldStop))
        } catch {
            first = .failure(error)
        }
        for _ in others { finished.wait() }
        for result in [first] + results.withLock({ $0 }) {
            summary.add(try result.get())
        }
        return summary
    }
}

struct EventLoop {
    let server: HTTPServer
    let listener: Socket
    let epoll: Epoll
    var connections = DescriptorTable<EventConnection>()
    var summary = HTTPServer.Summary()
    var dates = HTTPDate.Cache()
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    let cache = FileCache()

    init(server: HTTPServer, listener: Socket) throws(SocketError) {
        self.server = server
        self.listener = listener
        epoll = try Epoll(capacity: 512)
    }

    mutating func run(_ shouldStop: () -> Bool) throws(SocketError) -> HTTPServer.Summary {
        listener.setNonBlocking(true)
        // One loop woken per new connection, not every loop waiting on a shared listener.
        try epoll.add(listener.descriptor, server.workers > 1 ? [.readable, .exclusive] : .readable)
        var lastSweep = Clock.now
        while !shouldStop() {
            for event in try epoll.wait(timeout: 0.25) {
                if event.descriptor == listener.descriptor {
                    acceptWaiting()
                    continue
                }
                guard let connection = connections[event.descriptor] else { continue }
                if event.readable || event.hangup { read(connection) }
                if event.writable, connections[event.descriptor] != nil { flush(connection) }
            }
            let now = Clock.now
            if now - lastSweep >= 0.25 {
                lastSweep = now
                sweepTimeouts(now: now)
            }
        }
        for connection in connections.values { close(connection) }
        epoll.remove(listener.descriptor)
        return summary
    }

    private mutating func acceptWaiting() {
        for _ in 0..<256 {
            let accepted: (Socket, SocketAddress)?
            do {
                accepted = try listener.tryAccept()
            } catch {
                // Out of descriptors (EMFILE) and the like: log, breathe, keep serving the others.
                server.log.write("netlab: \(error)")
                usleep(10_000)
                return
            }
            guard let (socket, peer) = accepted else { return }
            summary.connections += 1
            // The limit is for the whole server, whichever loop took the connection: a loop may
            // take most of them (a shared listener wakes whichever loop is idle).
            if server.openEventConnections.add(1, ordering: .relaxed).oldValue >= server.limits.maxConnections {
                server.openEventConnections.subtract(1, ordering: .relaxed)
                summary.refused += 1
                server.refuse(socket, peer: peer)
                continue
            }
            socket.setNoDelay()
            let connection = EventConnection(
                socket: socket, peer: peer,
                machine: HTTPServerConnection(files: server.files, limits: server.limits, cache: cache),
                now: Clock.now)
            do {
                try epoll.add(socket.descriptor, .readable)
            } catch {
                server.openEventConnections.subtract(1, ordering: .relaxed)
                continue
            }
            connections.insert(connection, at: socket.descriptor)
        }
    }

    private mutating func read(_ connection: EventConnection) {
        if connection.lingerUntil != nil {
            discard(connection)
            return
        }
        guard !connection.readPaused else { return }
        for _ in 0..<4 {
            let count: Int
            switch receive(connection) {
            case .gone: return
            case .nothing: flush(connection); return
            case .bytes(let received): count = received
            }
            if count == 0 {
                connection.machine.receiveEnd()
                connection.readPaused = true
                connection.closeWhenFlushed = true
                break
            }
            for response in connection.machine.receive(buffer[0..<count]) { enqueue(response, on: connection) }
            if connection.machine.closing {
                connection.readPaused = true
                connection.closeWhenFlushed = true
                break
            }
            if connection.output.count >= server.limits.maxQueuedResponses {
                connection.readPaused = true
                break
            }
            // A short read drained the socket; epoll (level-triggered) says when more arrives.
            if count < buffer.count { break }
        }
        flush(connection)
    }

    private mutating func enqueue(_ response: HTTPServerResponse, on connection: EventConnection) {
        let (bytes, file) = response.wire(date: dates.now())
        connection.output.append(.bytes(bytes, sent: 0, endsAnswer: file == nil && !response.isInterim))
        if let file { connection.output.append(.file(file.file, offset: file.offset, remaining: file.length)) }
        if !response.isInterim {
            // Counted as answered once its last byte went out (see `flush`), as the other models do.
            server.log.record(peer: connection.peer, response: response, bodyBytes: response.body.length)
        }
    }

    /// Sends what the socket takes now; asks for EPOLLOUT when it takes no more.
    private mutating func flush(_ connection: EventConnection) {
        let socket = connection.socket
        do {
            while let first = connection.output.first {
                switch first {
                case .bytes(let bytes, let sent, let endsAnswer):
                    let count = try bytes.withUnsafeBytes { raw throws(SocketError) in
                        try socket.trySend(UnsafeRawBufferPointer(rebasing: raw[sent...]))
                    }
                    if count == 0 { break }
                    connection.lastProgress = Clock.now
                    if sent + count == bytes.count {
                        connection.output.removeFirst()
                        if endsAnswer { summary.requests += 1 }
                    } else {
                        connection.output[0] = .bytes(bytes, sent: sent + count, endsAnswer: endsAnswer)
                        continue
                    }
                case .file(let file, let offset, let remaining):
                    var position = off_t(offset)
                    let count = sendfile(socket.descriptor, file.descriptor, &position, remaining)
                    if count < 0 {
                        if errno == EAGAIN || errno == EINTR { break }
                        // EPIPE, ECONNRESET: the client went away mid-download (counted below).
                        throw SocketError("sendfile")
                    }
                    if count == 0 { throw SocketError("sendfile", code: EIO, detail: "file shorter than announced") }
                    connection.lastProgress = Clock.now
                    if count == remaining {
                        connection.output.removeFirst()
                        summary.requests += 1
                    } else {
                        connection.output[0] = .file(file, offset: offset + count, remaining: remaining - count)
                    }
                    continue
                }
                break
            }
        } catch {
            close(connection, clientGone: (error as? SocketError)?.peerWentAway ?? false)
            return
        }
        if connection.output.isEmpty {
            if connection.closeWhenFlushed {
                if connection.machine.endedWithError {
                    startLingering(connection)
                } else {
                    close(connection)
                }
                return
            }
            if connection.readPaused {
                connection.readPaused = false
            }
        }
        updateInterest(connection)
    }

    private func updateInterest(_ connection: EventConnection) {
        var wanted: Epoll.Interest = []
        if !connection.readPaused || connection.lingerUntil != nil { wanted.insert(.readable) }
        if !connection.output.isEmpty { wanted.insert(.writable) }
        guard wanted != connection.interest else { return }
        connection.interest = wanted
        try? epoll.modify(connection.socket.descriptor, wanted)
    }

    /// After an error response: half-close and discard what the client still sends, briefly,
    /// so its kernel does not answer our close with RST and lose the response.
    private mutating func startLingering(_ connection: EventConnection) {
        connection.socket.shutdown(.write)
        connection.lingerUntil = Clock.now + 1
        updateInterest(connection)
    }

    private mutating func discard(_ connection: EventConnection) {
        for _ in 0..<16 {
            switch receive(connection) {
            case .gone, .nothing: return
            case .bytes(0):
                close(connection)
                return
            case .bytes: continue
            }
        }
    }

    enum Read { case bytes(Int), nothing, gone }

    /// One non-blocking read into the loop's buffer. `.bytes(0)`: the peer closed; `.nothing`:
    /// nothing waiting; `.gone`: the read failed and the connection is closed.
    private mutating func receive(_ connection: EventConnection) -> Read {
        do {
            return try connection.socket.tryReceive(into: &buffer).map(Read.bytes) ?? .nothing
        } catch {
            // ECONNRESET: the client reset (SO_LINGER 0, a crash) before or during a request. A
            // reset after an error response, while lingering, is how such connections often end.
            close(connection, clientGone: error.peerWentAway && connection.lingerUntil == nil)
            return .gone
        }
    }

    private mutating func sweepTimeouts(now: Double) {
        let limits = server.limits
        for connection in connections.values {
            if let until = connection.lingerUntil {
                if now >= until { close(connection) }
                continue
            }
            if !connection.output.isEmpty {
                if now - connection.lastProgress >= limits.sendTimeout { close(connection) }
                continue
            }
            guard now >= connection.machine.deadline else { continue }
            if let response = connection.machine.timedOut() {
                enqueue(response, on: connection)
                connection.readPaused = true
                connection.closeWhenFlushed = true
                flush(connection)
            } else {
                close(connection)
            }
        }
    }

    private mutating func close(_ connection: EventConnection, clientGone: Bool = false) {
        let descriptor = connection.socket.descriptor
        guard connections.remove(descriptor) != nil else { return }
        server.openEventConnections.subtract(1, ordering: .relaxed)
        if clientGone { summary.clientsGone += 1 }
        epoll.remove(descriptor)
        connection.socket.close()
    }
}

/// Objects by file descriptor, in an array: descriptors are small integers, so a lookup is an
/// index, not a hash (what nginx does with epoll's data pointer).
struct DescriptorTable<Value: AnyObject> {
    private var slots: [Value?] = []
    private(set) var count = 0

    subscript(descriptor: Int32) -> Value? {
        Int(descriptor) < slots.count ? slots[Int(descriptor)] : nil
    }

    mutating func insert(_ value: Value, at descriptor: Int32) {
        let index = Int(descriptor)
        if index >= slots.count { slots += [Value?](repeating: nil, count: max(index + 1 - slots.count, slots.count)) }
        if slots[index] == nil { count += 1 }
        slots[index] = value
    }

    @discardableResult
    mutating func remove(_ descriptor: Int32) -> Value? {
        guard let value = self[descriptor] else { return nil }
        slots[Int(descriptor)] = nil
        count -= 1
        return value
    }

    var values: [Value] { slots.compactMap { $0 } }
}
