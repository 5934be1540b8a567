import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A UDP relay in userspace: datagrams sent to `address` are impaired and forwarded to
/// `target`; replies from `target` go back to the last sender unchanged. Needs no privileges.
public final class DatagramRelay: @unchecked Sendable {
    public let address: SocketAddress
    private let socket: Socket
    private let target: SocketAddress
    private let engineLock = Mutex(ImpairmentEngine(Impairment()))
    private let stopping = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    public init(forwardingTo target: SocketAddress, impairment: Impairment) throws(SocketError) {
        self.target = target
        socket = try Socket(.udp, family: target.family)
        socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: 4 << 20)
        socket.setOption(level: SOL_SOCKET, name: SO_SNDBUF, value: 4 << 20)
        try socket.bind(SocketAddress(numeric: target.family == .inet6 ? "::1" : "127.0.0.1", port: 0)!)
        address = socket.localAddress!
        engineLock.withLock { $0 = ImpairmentEngine(impairment) }
        Threads.detach { [self] in loop() }
    }

    private func loop() {
        var queue = ReleaseQueue()
        var client: SocketAddress?
        while true {
            let now = Clock.now
            for packet in queue.due(now) { _ = try? socket.send(packet, to: target) }
            // Stop only when nothing waits in the queue or, unread, in the socket.
            if stopping.load(ordering: .acquiring) && queue.isEmpty
                && (try? socket.wait(for: .readable, timeout: 0)) != true
            {
                break
            }
            let wait = queue.nextTime.map { max(0, min($0 - now, 0.05)) } ?? 0.05
            guard (try? socket.wait(for: .readable, timeout: wait)) == true else { continue }
            guard let (bytes, sender, _) = try? socket.receiveFrom() else { continue }
            if sender == target {
                if let client { _ = try? socket.send(bytes, to: client) }
                continue
            }
            client = sender
            let arrival = Clock.now
            for time in engineLock.withLock({ $0.decide(now: arrival) }) { queue.add(bytes, at: time) }
        }
        finished.store(true, ordering: .releasing)
    }

    /// Releases what is still held back, stops, and returns what the relay did.
    public func finish(timeout: Double = 5) -> ImpairmentEngine.Counters {
        stopping.store(true, ordering: .releasing)
        let deadline = Clock.now + timeout
        while !finished.load(ordering: .acquiring) && Clock.now < deadline { usleep(1000) }
        return engineLock.withLock { $0.counters }
    }
}
