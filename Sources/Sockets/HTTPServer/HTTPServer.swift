import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The four ways a course builds a server, serving the same files with the same handler:
/// - `serial`: one client at a time; the next waits in the listen queue (the first program).
/// - `fork`: a child process per connection (the classic Unix server).
/// - `threads`: a thread per connection, at most `maxConnections` at once.
/// - `events`: one thread, one epoll loop, non-blocking sockets (nginx's and coroutine
///   servers' idea: wait for many sockets at once, never block on one).
public enum ServerModel: String, CaseIterable, Sendable {
    case serial, fork, threads, events
}

/// A static-file HTTP/1.1 server. Create it (it binds and listens), print `url`, then `run`.
public final class HTTPServer {
    public let listener: Socket
    public let files: StaticFiles
    public let model: ServerModel
    public let limits: ServerLimits
    public let log: AccessLog
    public let address: SocketAddress

    public struct Summary: Sendable {
        public var connections = 0
        /// Requests answered (the fork model's children count their own and do not report them).
        public var requests = 0
        /// Connections turned away with 503 because `maxConnections` were busy.
        public var refused = 0
    }

    public init(root: String, host: String, port: UInt16, model: ServerModel, limits: ServerLimits, log: AccessLog)
        throws(SocketError)
    {
        files = try StaticFiles(root: root)
        listener = try Socket.listen(host: host, port: port, backlog: 1024)
        address = listener.localAddress ?? SocketAddress(numeric: host, port: port)!
        self.model = model
        self.limits = limits
        self.log = log
    }

    /// `http://127.0.0.1:8080/` or `http://[::1]:8080/`.
    public var url: String { "http://\(address)/" }

    /// Serves until `shouldStop` returns true (checked at least every 250 ms).
    public func run(until shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        switch model {
        case .serial: try runSerial(shouldStop)
        case .fork: try runForking(shouldStop)
        case .threads: try runThreads(shouldStop)
        case .events: try runEvents(shouldStop)
        }
    }

    /// Waits for the next connection, waking every 250 ms to look at `shouldStop`.
    func nextConnection(_ shouldStop: () -> Bool) throws(SocketError) -> (Socket, SocketAddress)? {
        while !shouldStop() {
            guard try listener.wait(for: .readable, timeout: 0.25) else { continue }
            listener.setNonBlocking(true)
            defer { listener.setNonBlocking(false) }
            if let accepted = try listener.tryAccept() {
                accepted.0.setNonBlocking(false)
                return accepted
            }
        }
        return nil
    }

    private func runSerial(_ shouldStop: () -> Bool) throws(SocketError) -> Summary {
        var summary = Summary()
        let cache = FileCache()
        while let (socket, peer) = try nextConnection(shouldStop) {
            summary.connections += 1
            let connection = BlockingConnection(
                socket: socket, peer: peer, files: files, limits: limits, log: log, cache: cache)
            summary.requests += connection.serve(shouldStop: shouldStop)
        }
        return summary
    }

    private func runThreads(_ shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        let active = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
        var summary = Summary()
        let files = files, limits = limits, log = log
        while let (socket, peer) = try nextConnection(shouldStop) {
            summary.connections += 1
            if active.load(ordering: .relaxed) >= limits.maxConnections {
                summary.refused += 1
                refuse(socket, peer: peer)
                continue
            }
            active.add(1, ordering: .relaxed)
            let started = Threads.detach {
                let connection = BlockingConnection(
                    socket: socket, peer: peer, files: files, limits: limits, log: log, cache: FileCache())
                requests.add(connection.serve(shouldStop: shouldStop), ordering: .relaxed)
                active.subtract(1, ordering: .relaxed)
            }
            if !started {
                active.subtract(1, ordering: .relaxed)
                summary.refused += 1
                refuse(socket, peer: peer)
            }
        }
        // Let connections in progress finish their current request (up to 2 s).
        let deadline = Clock.now + 2
        while active.load(ordering: .relaxed) > 0 && Clock.now < deadline { usleep(10_000) }
        summary.requests = requests.load(ordering: .relaxed)
        return summary
    }

    private func runForking(_ shouldStop: () -> Bool) throws(SocketError) -> Summary {
        var summary = Summary()
        var children = Set<pid_t>()
        func reap(blocking: Bool = false) {
            while !children.isEmpty {
                var status: Int32 = 0
                let pid = waitpid(-1, &status, blocking ? 0 : WNOHANG)
                if pid <= 0 { return }
                children.remove(pid)
            }
        }
        while true {
            reap()
            guard let (socket, peer) = try nextConnection(shouldStop) else { break }
            summary.connections += 1
            reap()
            if children.count >= limits.maxConnections {
                summary.refused += 1
                refuse(socket, peer: peer)
                continue
            }
            let pid = fork()
            if pid == 0 {
                // The child: serve this one client, then exit. It does not accept.
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
                listener.close()
                BlockingConnection(
                    socket: socket, peer: peer, files: files, limits: limits, log: log, cache: FileCache()
                ).serve { false }
                _exit(0)
            }
            if pid < 0 {
                summary.refused += 1
                refuse(socket, peer: peer)
                continue
            }
            children.insert(pid)
            socket.close()  // the child has its own copy of the descriptor
        }
        // Children finish the request they are on; wait up to 2 s, then stop them.
        let deadline = Clock.now + 2
        while !children.isEmpty && Clock.now < deadline {
            reap()
            usleep(10_000)
        }
        for child in children { kill(child, SIGTERM) }
        reap(blocking: true)
        return summary
    }

    /// Too many connections: a short 503 and close, without waiting on the client.
    func refuse(_ socket: Socket, peer: SocketAddress) {
        var response = HTTPServerResponse.page(503, "The server is busy; try again shortly.", close: true)
        response.fields.append(("Retry-After", "1"))
        var dates = HTTPDate.Cache()
        socket.setNonBlocking(true)
        _ = response.wire(date: dates.now()).bytes.withUnsafeBytes { try? socket.trySend($0) }
        log.record(peer: peer, response: response, bodyBytes: response.contentLength)
        socket.close()
    }
}
