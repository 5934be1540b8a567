import Inspect
import ProcessControl
import Synchronization

/// A closed-loop HTTP load generator, in the manner of wrk: `connections` keep-alive
/// connections spread over `threads` event loops, each sending its next request as soon as the
/// previous response has ended, for `duration` seconds. Latency is measured per request from
/// its first byte sent to its response's last byte received; requests still in flight at the
/// end are not counted (as wrk does).
public struct HTTPLoad: Sendable {
    public struct Configuration: Sendable {
        public var url: HTTPURL
        public var connections = 10
        public var threads = 1
        public var duration = 10.0
        /// A request not answered in this time is an error (its connection is closed and opened
        /// again), as wrk's --timeout.
        public var timeout = 2.0
        public var method = "GET"
        public var headers: [(name: String, value: String)] = []
        /// false: `Connection: close` on every request, a new connection each time.
        public var keepAlive = true
        /// Largest response accepted; a bigger one is an error, not a reason to buffer without end.
        public var maxResponseBytes = 64 << 20

        public init(url: HTTPURL) { self.url = url }

        /// The exact bytes of each request.
        public var request: [UInt8] {
            var client = HTTPClient()
            client.method = method
            client.headers = headers
            client.closeConnection = !keepAlive
            return client.request(for: url)
        }
    }

    /// Why a request did not complete normally, counted by kind.
    public enum ErrorKind: String, Sendable, CaseIterable {
        case connect, read, write, timeout
        /// The response broke HTTP/1.1 (or was too large).
        case protocolError = "protocol"
        /// The server closed the connection before the response ended.
        case closed
    }

    public struct Result: Sendable {
        public var elapsed = 0.0
        public var requests: UInt64 = 0
        public var bytesReceived: UInt64 = 0
        public var latency = LatencyHistogram()
        /// Completed responses by status class (index 1...5; 0 unused).
        public var statusClasses = [UInt64](repeating: 0, count: 6)
        public var errors: [ErrorKind: UInt64] = [:]
        /// Connections opened in all (more than asked when the server closes them).
        public var connectionsOpened: UInt64 = 0
        /// The first error of each kind, to show the user what went wrong, not only how often.
        public var firstErrors: [ErrorKind: String] = [:]

        public init() {}

        public var errorCount: UInt64 { errors.values.reduce(0, +) }
        /// Responses other than 2xx and 3xx.
        public var unsuccessfulResponses: UInt64 { statusClasses[1] + statusClasses[4] + statusClasses[5] }
        public var requestsPerSecond: Double { elapsed > 0 ? Double(requests) / elapsed : 0 }
        public var bytesPerSecond: Double { elapsed > 0 ? Double(bytesReceived) / elapsed : 0 }

        mutating func merge(_ other: Result) {
            requests += other.requests
            bytesReceived += other.bytesReceived
            latency.merge(other.latency)
            for index in statusClasses.indices { statusClasses[index] += other.statusClasses[index] }
            for (kind, count) in other.errors { errors[kind, default: 0] += count }
            for (kind, text) in other.firstErrors where firstErrors[kind] == nil { firstErrors[kind] = text }
            connectionsOpened += other.connectionsOpened
        }
    }

    /// Counters the loops update as they go, for a progress line while the run lasts.
    public final class Progress: Sendable {
        let completed = Atomic<UInt64>(0)
        let failed = Atomic<UInt64>(0)
        public init() {}
        public var requests: UInt64 { completed.load(ordering: .relaxed) }
        public var errors: UInt64 { failed.load(ordering: .relaxed) }
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    public enum Problem: Error, CustomStringConvertible {
        case invalid(String)
        case unreachable(SocketError)
        public var description: String {
            switch self {
            case .invalid(let why): why
            case .unreachable(let error): "cannot reach the server: \(error)"
            }
        }
    }

    /// Runs the load. Before starting, one connection is tried, so an unreachable server is one
    /// clear error rather than a run full of connect failures. `shouldStop` is polled by every
    /// loop (Ctrl-C ends the run early, with the results so far); `onTick` is called about once a
    /// second from the calling thread while the loops run.
    public func run(
        progress: Progress = Progress(), shouldStop: @escaping @Sendable () -> Bool = { false },
        onTick: (Double) -> Void = { _ in }
    ) throws(Problem) -> Result {
        let configuration = self.configuration
        guard configuration.connections >= 1 else { throw .invalid("at least one connection is needed") }
        guard configuration.threads >= 1, configuration.threads <= configuration.connections else {
            throw .invalid("threads must be between 1 and the number of connections (\(configuration.connections))")
        }
        guard configuration.duration > 0, configuration.timeout > 0 else {
            throw .invalid("duration and timeout must be positive")
        }
        let address: SocketAddress
        do throws(SocketError) {
            let probe = try Socket.connect(
                host: configuration.url.host, port: configuration.url.port, timeout: configuration.timeout)
            guard let peer = probe.peerAddress else {
                probe.close()
                throw SocketError("getpeername")
            }
            address = peer
            probe.close()
        } catch {
            throw .unreachable(error)
        }

        let request = configuration.request
        let start = Clock.now
        let deadline = start + configuration.duration
        let collected = Collected()
        var share = [Int](repeating: configuration.connections / configuration.threads, count: configuration.threads)
        for index in 0..<(configuration.connections % configuration.threads) { share[index] += 1 }
        for connections in share {
            let started = Threads.detach(stackSize: 1 << 20) {
                var loop = LoadLoop(
                    address: address, request: request, connections: connections, configuration: configuration,
                    progress: progress)
                let result = loop.run(until: deadline, shouldStop: shouldStop)
                collected.add(result)
            }
            if !started {
                var result = Result()
                result.errors[.connect] = UInt64(connections)
                result.firstErrors[.connect] = "the system refused to start another thread"
                collected.add(result)
            }
        }
        var nextTick = start + 1
        // Bounded: every loop returns by its deadline plus one timeout.
        while collected.finished < configuration.threads {
            let now = Clock.now
            if now >= nextTick {
                onTick(now - start)
                nextTick += 1
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&pause, nil)
        }
        var total = Result()
        for result in collected.results { total.merge(result) }
        total.elapsed = min(Clock.now, deadline) - start
        return total
    }
}

/// The loops' results, handed back across threads.
private final class Collected: Sendable {
    private let storage = Mutex<[HTTPLoad.Result]>([])
    func add(_ result: HTTPLoad.Result) { storage.withLock { $0.append(result) } }
    var finished: Int { storage.withLock { $0.count } }
    var results: [HTTPLoad.Result] { storage.withLock { $0 } }
}

#if canImport(Glibc)
    import Glibc
#endif
