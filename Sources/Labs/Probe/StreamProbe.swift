import Inspect
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

/// `netlab probe echo`, `probe chat` and `probe upload`: the same report, JSON, exit status and
/// evidence as `probe http`, for servers that speak plain bytes over TCP (lessons 2, 3 and 9).
/// One group per command; `only` picks checks by their short name (`half-close`).
public struct StreamProbe {
    public var group: ProbeGroup
    public var host: String
    public var port: UInt16
    /// Seconds to wait for each answer (and for each connection).
    public var timeout = 5.0
    /// Short check names to run (all when empty).
    public var only: Set<String> = []
    /// Capture the frames of failed checks (needs root or CAP_NET_RAW); false: bytes only.
    public var capture = true
    /// Chat: send a nickname line first on every connection (netlab's chat server asks for one).
    public var nickname = false

    public init(group: ProbeGroup, host: String, port: UInt16) {
        self.group = group
        self.host = host
        self.port = port
    }

    static func checks(_ group: ProbeGroup) -> [StreamCheck] {
        switch group {
        case .echo: EchoProbeChecks.all
        case .chat: ChatProbeChecks.all
        case .upload: UploadProbeChecks.all
        default: []
        }
    }

    /// The short names `only` accepts for a group, in report order.
    public static func checkNames(_ group: ProbeGroup) -> [String] {
        checks(group).map { String($0.id.dropFirst(group.rawValue.count + 1)) }
    }

    /// Every check id of a group, in report order.
    public static func checkIDs(_ group: ProbeGroup) -> [String] { checks(group).map(\.id) }

    /// `host port`, with IPv6 in brackets.
    var target: String { host.contains(":") ? "[\(host)] \(port)" : "\(host) \(port)" }

    public func run(progress: (ProbeResult) -> Void = { _ in }) throws(SocketError) -> ProbeReport {
        try ProbeRunner.requireListener(host: host, port: port, timeout: timeout)
        let evidence =
            capture
            ? (try? HTTPURL.parse(host.contains(":") ? "http://[\(host)]:\(port)/" : "http://\(host):\(port)/"))
                .flatMap { ProbeEvidence.start(target: $0) } : nil
        let context = StreamContext(host: host, port: port, timeout: timeout, nickname: nickname)
        let selected = Self.checks(group).filter {
            only.isEmpty || only.contains(String($0.id.dropFirst(group.rawValue.count + 1)))
        }
        let outcome = ProbeRunner.run(
            selected, on: context, evidence: evidence, capture: capture, progress: progress
        ) { $0.serverAccepts() ? nil : "the server stopped accepting connections" }
        var report = ProbeReport(
            target: target, results: outcome.results,
            model: group == .echo
                ? EchoProbeChecks.model(
                    silent: outcome.status(EchoProbeChecks.silentClient.id),
                    parallel: outcome.status(EchoProbeChecks.parallel.id)) : "",
            captureNote: outcome.captureNote)
        report.command = group.rawValue
        if group == .chat {
            report.resources["server"] =
                nickname ? "each probe client sends a nickname line first (--nickname)" : "no nickname lines sent"
        }
        return report
    }
}

/// A check of a plain TCP server (echo, chat, upload).
typealias StreamCheck = DeclaredCheck<StreamContext>

/// What every stream check needs: where the server is and how long to wait.
final class StreamContext {
    let host: String
    let port: UInt16
    let timeout: Double
    let nickname: Bool

    init(host: String, port: UInt16, timeout: Double, nickname: Bool) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.nickname = nickname
    }

    var deadline: Double { Clock.now + timeout }

    func connect(_ label: String, receiveBuffer: Int32? = nil) -> StreamConnection? {
        try? StreamConnection(host: host, port: port, label: label, timeout: timeout, receiveBuffer: receiveBuffer)
    }

    /// True when the server still accepts a connection.
    func serverAccepts() -> Bool {
        guard let connection = connect("is it still there?") else { return false }
        connection.close()
        return true
    }
}

/// A client connection that keeps every byte it sent and received (the report's evidence),
/// non-blocking so one thread can write and read several connections at once.
final class StreamConnection {
    let socket: Socket
    let label: String
    let localPort: UInt16
    private(set) var sent: [UInt8] = []
    private(set) var received: [UInt8] = []
    private(set) var sawEnd = false
    private(set) var sawReset = false
    private(set) var halfClosed = false
    private var buffer = [UInt8](repeating: 0, count: 65536)

    init(host: String, port: UInt16, label: String, timeout: Double, receiveBuffer: Int32?) throws(SocketError) {
        if let receiveBuffer {
            // SO_RCVBUF must be set before connect(2): it fixes the window the handshake offers.
            var address = SocketAddress(numeric: host, port: port)
            if address == nil {
                address = try Resolver.resolve(host, service: String(port), passive: false).first?.address
            }
            guard let address else { throw SocketError("connect \(host)", code: EINVAL, detail: "no address") }
            socket = try Socket(.tcp, family: address.family)
            socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: receiveBuffer)
            try socket.connect(to: address, timeout: timeout)
        } else {
            socket = try Socket.connect(host: host, port: port, timeout: timeout)
        }
        socket.setNoDelay()
        socket.setNonBlocking(true)
        self.label = label
        localPort = socket.localPort
    }

    /// Sends every byte (reading meanwhile, so a server that echoes never stalls on us), until
    /// `deadline`. False when the server closed or reset, or time ran out.
    @discardableResult
    func send(_ bytes: [UInt8], deadline: Double) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard !sawReset, Clock.now < deadline else { return false }
            let taken: Int
            do {
                taken = try bytes.withUnsafeBytes { raw throws(SocketError) in
                    try socket.trySend(UnsafeRawBufferPointer(rebasing: raw[offset..<min(bytes.count, offset + 65536)]))
                }
            } catch {
                sawReset = true
                return false
            }
            sent += bytes[offset..<(offset + taken)]
            offset += taken
            if taken == 0 { waitEither(until: deadline) }
            drain()
        }
        return true
    }

    /// One non-blocking send(2) of the start of `bytes`: how many the kernel took (0 when full or gone).
    func sendSome(_ bytes: ArraySlice<UInt8>) -> Int {
        guard !sawReset, !bytes.isEmpty else { return 0 }
        do {
            let taken = try bytes.withUnsafeBytes { raw throws(SocketError) in try socket.trySend(raw) }
            sent += bytes.prefix(taken)
            return taken
        } catch {
            sawReset = true
            return 0
        }
    }

    /// One send(2) per `piece` bytes with `pause` seconds between (TCP_NODELAY: one segment each).
    @discardableResult
    func sendInPieces(_ bytes: [UInt8], piece: Int = 1, pause: Double, deadline: Double) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            guard send(Array(bytes[offset..<end]), deadline: deadline) else { return false }
            offset = end
            if offset < bytes.count { sleep(seconds: pause) }
        }
        return true
    }

    /// Whatever has arrived, without waiting.
    func drain() {
        while !sawEnd && !sawReset {
            do {
                guard let count = try socket.tryReceive(into: &buffer) else { return }
                if count == 0 {
                    sawEnd = true
                    return
                }
                received += buffer[0..<count]
            } catch {
                sawReset = true
                return
            }
        }
    }

    /// Reads until `done` holds for what was received, the server closes, or `deadline`.
    @discardableResult
    func read(until done: ([UInt8]) -> Bool, deadline: Double) -> Bool {
        while true {
            drain()
            if done(received) { return true }
            if sawEnd || sawReset { return false }
            let left = deadline - Clock.now
            guard left > 0 else { return false }
            _ = try? socket.wait(for: .readable, timeout: min(left, 0.25))
        }
    }

    /// Reads until the server closes (FIN or RST) or `deadline`: true when it closed.
    func readToEnd(deadline: Double) -> Bool {
        read(until: { _ in false }, deadline: deadline)
        return sawEnd || sawReset
    }

    /// shutdown(SHUT_WR): the server reads end-of-stream, and may still answer.
    func shutdownWrite() {
        socket.shutdownWrite()
        halfClosed = true
    }

    /// Closes with SO_LINGER 0: the kernel sends RST instead of FIN.
    func reset() {
        var value = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket.descriptor, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
        socket.close()
    }

    func close() { socket.close() }

    /// Waits until the socket can take more bytes or has some to read.
    private func waitEither(until deadline: Double) {
        var entry = pollfd(fd: socket.descriptor, events: Int16(POLLIN | POLLOUT), revents: 0)
        let left = Int32(max(0, min(0.25, deadline - Clock.now)) * 1000)
        _ = poll(&entry, 1, left)
    }

    var ending: String {
        if sawReset { return "reset" }
        if sawEnd { return "closed by the server" }
        return halfClosed
            ? "half-closed by the probe, no close seen from the server" : "no close seen while the probe read"
    }

    func exchange(_ label: String? = nil, ending: String? = nil) -> ProbeExchange {
        ProbeExchange(
            label: label ?? self.label, sent: sent, received: received, ending: ending ?? self.ending,
            localPort: localPort)
    }
}

/// Where two byte strings first differ, in words ("byte 4096: sent 0x41, got 0x42").
func firstDifference(sent: [UInt8], received: [UInt8]) -> String {
    let common = min(sent.count, received.count)
    for index in 0..<common where sent[index] != received[index] {
        return "first difference at byte \(index): sent \(hex(sent[index])), got \(hex(received[index]))"
    }
    if received.count < sent.count { return "the first \(received.count) bytes match; the rest never came" }
    if received.count > sent.count { return "all \(sent.count) bytes match, then \(received.count - sent.count) extra" }
    return "identical"
}

func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
}

/// Reads every connection until `done` holds for all of them or `deadline`.
@discardableResult
func readAll(_ connections: [StreamConnection], until done: () -> Bool, deadline: Double) -> Bool {
    while true {
        for connection in connections { connection.drain() }
        if done() { return true }
        guard Clock.now < deadline else { return false }
        sleep(seconds: 0.01)
    }
}

/// A deterministic byte generator (xorshift64*): the same payload every run, so reports compare.
struct PayloadGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}
