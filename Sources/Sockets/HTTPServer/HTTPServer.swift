import ProcessControl
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

/// How the event loops of `--workers N` take new connections.
public enum AcceptMode: String, CaseIterable, Sendable {
    /// One listening socket in every loop's epoll set (EPOLLEXCLUSIVE, as nginx does): the
    /// kernel wakes one waiting loop per new connection, so a loop that is idle takes it.
    case shared
    /// A listener per loop on the same port (SO_REUSEPORT): the kernel spreads connections
    /// over the listeners by a hash of their addresses, evenly whatever each loop is doing.
    case reuseport
}

/// A static-file HTTP/1.1 server. Create it (it binds and listens), print `url`, then `run`.
public final class HTTPServer: Sendable {
    public let listener: Socket
    /// The events model with several workers and `.reuseport`: one more listener per extra
    /// event loop, all on the same port, so each loop accepts its own share of the connections.
    let extraListeners: [Socket]
    /// How several event loops take connections (see `AcceptMode`).
    public let acceptMode: AcceptMode
    /// Event loops (threads) of the events model; 1 for the other models.
    public let workers: Int
    /// Connections open in all event loops together, against `limits.maxConnections`.
    let openEventConnections = Atomic<Int>(0)
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
        /// Connections the client reset or closed under a response (EPIPE, ECONNRESET): closed
        /// quietly and counted, never a failure of the server.
        public var clientsGone = 0
        /// The fork model: children that died of a signal instead of exiting (SIGPIPE, a crash).
        public var childrenKilled = 0
        /// The events model with several workers: connections each event loop accepted.
        public var connectionsPerWorker: [Int] = []

        mutating func add(_ other: Summary) {
            connections += other.connections
            requests += other.requests
            refused += other.refused
            clientsGone += other.clientsGone
            childrenKilled += other.childrenKilled
            connectionsPerWorker.append(other.connections)
        }
    }

    /// Binds and listens. `workers` > 1 (events model only) runs that many event loops, which
    /// share one listener (`.shared`) or each open their own on the port (`.reuseport`).
    /// `backlog` is listen(2)'s queue of connections the kernel completed and nobody accepted yet;
    /// `reuseAddress: false` leaves SO_REUSEADDR off (bind then fails while the port has a
    /// connection in TIME-WAIT).
    public init(
        root: String, host: String, port: UInt16, model: ServerModel, limits: ServerLimits, log: AccessLog,
        workers: Int = 1, accept: AcceptMode = .shared, demoEndpoints: Bool = false, backlog: Int32 = 1024,
        reuseAddress: Bool = true
    )
        throws(SocketError)
    {
        var files = try StaticFiles(root: root)
        files.demoEndpoints = demoEndpoints
        self.files = files
        let several = model == .events && workers > 1
        let ownListeners = several && accept == .reuseport
        listener = try Socket.listen(
            host: host, port: port, backlog: backlog, reusePort: ownListeners, reuseAddress: reuseAddress)
        address = listener.localAddress ?? SocketAddress(numeric: host, port: port)!
        var extra: [Socket] = []
        if ownListeners {
            // The others on the exact address and port the first one got (port 0 included).
            for _ in 1..<workers {
                extra.append(
                    try Socket.listen(
                        host: address.host, port: address.port, backlog: backlog, reusePort: true,
                        reuseAddress: reuseAddress))
            }
        }
        extraListeners = extra
        acceptMode = accept
        self.workers = several ? workers : 1
        self.model = model
        self.limits = limits
        self.log = log
    }

    /// `http://127.0.0.1:8080/` or `http://[::1]:8080/`.
    public var url: String { "http://\(address)/" }

    /// Serves until `shouldStop` returns true (checked at least every 250 ms), then returns
    /// within a second: responses in progress get `BlockingConnection.stopGrace`, then are cut.
    public func run(until shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        // A client that goes away must never end the server: sendfile(2) cannot take MSG_NOSIGNAL.
        Signals.ignoreBrokenPipe()  // Labs runs servers in-process: the CLI's ignore is not enough
        return switch model {
        case .serial: try runSerial(shouldStop)
        case .fork: try runForking(shouldStop)
        case .threads: try runThreads(shouldStop)
        case .events: try runEvents(shouldStop)
        }
    }

    /// Waits for the next connection, waking every 250 ms to look at `shouldStop` and to run
    /// `meanwhile` (the fork model reaps its children there).
    func nextConnection(_ shouldStop: () -> Bool, meanwhile: () -> Void = {}) throws(SocketError) -> (
        Socket, SocketAddress
    )? {
        while !shouldStop() {
            meanwhile()
            guard try listener.wait(for: .readable, timeout: 0.25) else { continue }
            listener.setNonBlocking(true)
            defer { listener.setNonBlocking(false) }
            let accepted: (Socket, SocketAddress)?
            do {
                accepted = try listener.tryAccept()
            } catch {
                // Out of descriptors (EMFILE) and the like: log, breathe, keep serving.
                log.write("netlab: \(error)")
                usleep(10_000)
                continue
            }
            if let accepted {
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
            let outcome = connection.serve(shouldStop: shouldStop)
            summary.requests += outcome.answered
            if outcome.clientGone { summary.clientsGone += 1 }
        }
        return summary
    }

    private func runThreads(_ shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        let active = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
        let gone = Atomic<Int>(0)
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
                let outcome = connection.serve(shouldStop: shouldStop)
                requests.add(outcome.answered, ordering: .relaxed)
                if outcome.clientGone { gone.add(1, ordering: .relaxed) }
                active.subtract(1, ordering: .relaxed)
            }
            if !started {
                active.subtract(1, ordering: .relaxed)
                summary.refused += 1
                refuse(socket, peer: peer)
            }
        }
        // Connections see the stop within 250 ms and close; a response in progress gets
        // `stopGrace`. Waiting longer would break the promise of a stop within a second.
        let deadline = Clock.now + BlockingConnection.stopGrace + 0.2
        while active.load(ordering: .relaxed) > 0 && Clock.now < deadline { usleep(10_000) }
        summary.requests = requests.load(ordering: .relaxed)
        summary.clientsGone = gone.load(ordering: .relaxed)
        return summary
    }

    private func runForking(_ shouldStop: () -> Bool) throws(SocketError) -> Summary {
        var summary = Summary()
        var children = Set<pid_t>()
        var stopping = false
        func reap(blocking: Bool = false) {
            while !children.isEmpty {
                var status: Int32 = 0
                let pid = waitpid(-1, &status, blocking ? 0 : WNOHANG)
                if pid < 0 && errno == EINTR { continue }
                if pid <= 0 { return }
                children.remove(pid)
                // A child reports through its exit status (`childExitClientGone`). WIFEXITED,
                // WEXITSTATUS and WTERMSIG by hand: the C macros do not import into Swift.
                if status & 0x7F == 0 {
                    if (status >> 8) & 0xFF == Self.childExitClientGone { summary.clientsGone += 1 }
                } else if !(stopping && status & 0x7F == SIGTERM) {
                    summary.childrenKilled += 1
                }
            }
        }
        // Reaped at every wake of the accept loop too: a child that finished while no client
        // came stays a zombie for at most 250 ms.
        while let (socket, peer) = try nextConnection(shouldStop, meanwhile: { reap() }) {
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
                Signals.restoreDefaults()  // the parent stops a child with SIGTERM
                listener.close()
                let outcome = BlockingConnection(
                    socket: socket, peer: peer, files: files, limits: limits, log: log, cache: FileCache()
                ).serve { false }
                _exit(outcome.clientGone ? Self.childExitClientGone : 0)
            }
            if pid < 0 {
                summary.refused += 1
                refuse(socket, peer: peer)
                continue
            }
            children.insert(pid)
            socket.close()  // the child has its own copy of the descriptor
        }
        // Children finish the response they are on within `stopGrace`, then are stopped:
        // the whole stop, summary included, stays under a second.
        let deadline = Clock.now + BlockingConnection.stopGrace
        reap()
        while !children.isEmpty && Clock.now < deadline {
            usleep(10_000)
            reap()
        }
        stopping = true
        for child in children { kill(child, SIGTERM) }
        reap(blocking: true)
        return summary
    }

    /// A forked child's exit status when its client went away (reset, or closed under a response).
    static let childExitClientGone: Int32 = 3

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
