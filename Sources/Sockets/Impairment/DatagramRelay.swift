import ProcessControl

#if canImport(Glibc)
    import Glibc
#endif

/// A UDP relay in userspace: datagrams sent to `address` are impaired and forwarded to
/// `target`; replies from `target` go back to the last sender unchanged. Needs no privileges.
public final class DatagramRelay: @unchecked Sendable {
    public let address: SocketAddress
    private let socket: Socket
    private let target: SocketAddress
    private let loop: RelayLoop

    public init(forwardingTo target: SocketAddress, impairment: Impairment) throws(SocketError) {
        self.target = target
        socket = try Socket(.udp, family: target.family)
        socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: 4 << 20)
        socket.setOption(level: SOL_SOCKET, name: SO_SNDBUF, value: 4 << 20)
        try socket.bind(SocketAddress(numeric: target.family == .inet6 ? "::1" : "127.0.0.1", port: 0)!)
        address = socket.localAddress!
        loop = RelayLoop(impairment)
        Threads.detach { [self] in run() }
    }

    private func run() {
        var client: SocketAddress?
        loop.run(
            waitReadable: { (try? socket.wait(for: .readable, timeout: $0)) == true },
            read: {
                guard let (bytes, sender, _) = try? socket.receiveFrom() else { return [] }
                if sender == target {
                    if let client { _ = try? socket.send(bytes, to: client) }
                    return []
                }
                client = sender
                return [bytes]
            },
            forward: { _ = try? socket.send($0, to: target) })
    }

    /// Releases what is still held back, stops, and returns what the relay did.
    public func finish(timeout: Double = 5) -> ImpairmentEngine.Counters { loop.finish(timeout: timeout) }
}
