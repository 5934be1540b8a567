import CSockets
import Foundation
import ProcessControl
import Sockets
import Synchronization

/// The same message stream over UDP and over TCP through one impaired path, measured side by
/// side. As root the path is `netlab path`'s (two network namespaces joined by the relay) and
/// every IP packet is impaired (TCP segments and ACKs included, so TCP really retransmits); without root, UDP goes through a socket
/// relay and TCP runs unimpaired on loopback (the report says so).
public struct Comparison {
    public var count = 1000
    public var size = 512
    public var impairment = Impairment()
    /// UDP datagrams per second (paced so the receiver's buffer is not what loses them).
    public var rate = 20_000.0
    /// nil: the packet relay when it can be created, else the socket relay.
    public var usePacketRelay: Bool?
    /// The TCP run gives up after this long.
    public var timeout = 60.0

    public init() {}

    public struct UDPResult: Sendable {
        public var sent = 0
        public var delivered = 0
        public var lost = 0
        public var duplicated = 0
        public var outOfOrder = 0
        public var seconds = 0.0
        public var throughput = 0.0
        /// RFC 3550 interarrival jitter, in seconds.
        public var jitter = 0.0
        public var relay = ImpairmentEngine.Counters()
    }

    public struct TCPResult: Sendable {
        public var sent = 0
        public var delivered = 0
        public var bytes = 0
        public var inOrder = true
        public var intact = true
        public var complete = true
        public var seconds = 0.0
        public var throughput = 0.0
        public var retransmissions: Int?
        public var relay: ImpairmentEngine.Counters?
        public var impaired = false
    }

    public struct Report: Sendable {
        public var udp = UDPResult()
        public var tcp = TCPResult()
        public var path = ""
        public var notes: [String] = []
    }

    public func run() throws(SocketError) -> Report {
        var report = Report()
        var packetRelay = usePacketRelay ?? (geteuid() == 0)
        if packetRelay {
            // A trial path: without the privileges for namespaces, fall back (or fail, if asked for).
            do {
                let trial = try NetworkPath(shape: LinkShape())
                trial.remove()
            } catch {
                if usePacketRelay == true { throw error }
                packetRelay = false
                report.notes.append("no network path (\(error)); UDP used the socket relay")
            }
        }
        report.path =
            packetRelay
            ? "netlab path: client and server in two private network namespaces, joined by the relay "
                + "(every IP packet impaired, both directions)"
            : "UDP socket relay"
        report.udp = try runUDP(packetRelay: packetRelay)
        report.tcp = try runTCP(packetRelay: packetRelay)
        if !packetRelay {
            report.notes.append(
                "TCP ran on loopback without impairment: impairing TCP segments needs the network path (root)")
        }
        return report
    }

    /// The path both runs take: this impairment in each direction, no rate limit.
    func makePath() throws(SocketError) -> NetworkPath {
        var shape = LinkShape()
        shape.impairment = impairment
        return try NetworkPath(shape: shape)
    }

    /// Both directions' counters as one relay's, as the report has always shown them.
    static func combined(_ counters: [LinkShaper.Counters]) -> ImpairmentEngine.Counters {
        var total = ImpairmentEngine.Counters()
        for part in counters.map(\.impairmentCounters) {
            total.seen += part.seen
            total.dropped += part.dropped
            total.duplicated += part.duplicated
            total.reordered += part.reordered
            total.forwarded += part.forwarded
        }
        return total
    }

    // MARK: - UDP

    func runUDP(packetRelay: Bool) throws(SocketError) -> UDPResult {
        var result = UDPResult()
        let size = max(self.size, 16)
        let path = packetRelay ? try makePath() : nil
        defer { path?.remove() }
        // Sockets belong to the namespace they are made in: the receiver on the server side, the
        // sender on the client side (without a path, both on loopback).
        let receiver = try NetworkPath.inside(path, .server) { () throws(SocketError) -> Socket in
            let socket = try Socket(.udp, family: .inet)
            socket.setOption(level: SOL_SOCKET, name: SO_RCVBUFFORCE, value: 16 << 20)
            socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: 16 << 20)
            try socket.bind(
                SocketAddress(numeric: path == nil ? "127.0.0.1" : NetworkPath.Side.server.address, port: 0)!)
            return socket
        }
        let port = receiver.localPort
        let socketRelay =
            path == nil ? try DatagramRelay(forwardingTo: receiver.localAddress!, impairment: impairment) : nil
        let destination =
            path == nil ? socketRelay!.address : SocketAddress(numeric: NetworkPath.Side.server.address, port: port)!
        let arrivals = ArrivalLog(capacity: count * 2)
        let stop = StopFlag()
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !stop.isSet {
                guard (try? receiver.wait(for: .readable, timeout: 0.02)) == true,
                    let bytes = try? receiver.receive(into: &buffer), bytes >= 12
                else { continue }
                let now = Comparison.nanoseconds()
                let sequence = Message.sequence(buffer[...])
                let sent = buffer[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                arrivals.add(sequence: sequence, sent: sent, arrived: now)
            }
            finished.signal()
        }
        let sender = try NetworkPath.inside(path, .client) { () throws(SocketError) -> Socket in
            try Socket(.udp, family: .inet)
        }
        sender.setOption(level: SOL_SOCKET, name: SO_SNDBUF, value: 4 << 20)
        let started = Clock.now
        var message = [UInt8](repeating: 0, count: size)
        for sequence in 0..<count {
            // Pace: datagram k leaves no earlier than k / rate seconds after the start.
            let due = started + Double(sequence) / rate
            while Clock.now < due { usleep(50) }
            Message.write(sequence: sequence, size: size, into: &message)
            let now = Self.nanoseconds()
            for index in 0..<8 { message[4 + index] = UInt8(truncatingIfNeeded: now >> (56 - 8 * UInt64(index))) }
            try sender.send(message, to: destination)
            result.sent += 1
        }
        result.relay = path.map { $0.finish(timeout: 5)[0].impairmentCounters } ?? socketRelay!.finish()
        // Let the last released datagrams arrive.
        let settle = Clock.now + 0.2 + impairment.delay + impairment.jitter
        while Clock.now < settle && arrivals.uniqueCount < count { usleep(1000) }
        stop.set()
        finished.wait()
        let log = arrivals.snapshot
        var seen = Set<Int>()
        var highest = -1
        var jitter = 0.0
        var previousTransit: Double?
        for arrival in log {
            if !seen.insert(arrival.sequence).inserted {
                result.duplicated += 1
                continue
            }
            if arrival.sequence < highest { result.outOfOrder += 1 }
            highest = max(highest, arrival.sequence)
            let transit = Double(Int64(arrival.arrived) - Int64(arrival.sent)) / 1e9
            if let previous = previousTransit { jitter += (abs(transit - previous) - jitter) / 16 }
            previousTransit = transit
        }
        result.delivered = seen.count
        result.lost = count - seen.count
        result.jitter = jitter
        if let first = log.map(\.sent).min(), let last = log.map(\.arrived).max() {
            result.seconds = Double(last - first) / 1e9
        }
        result.throughput = result.seconds > 0 ? Double(result.delivered * size * 8) / result.seconds : 0
        return result
    }

    // MARK: - TCP

    func runTCP(packetRelay: Bool) throws(SocketError) -> TCPResult {
        var result = TCPResult()
        let size = max(self.size, 16)
        let path = packetRelay ? try makePath() : nil
        defer { path?.remove() }
        result.impaired = path != nil
        let server = path == nil ? "127.0.0.1" : NetworkPath.Side.server.address
        let listener = try NetworkPath.inside(path, .server) { () throws(SocketError) in
            try Socket.listen(host: server, port: 0)
        }
        let port = listener.localPort
        let outcome = TCPOutcome()
        let finished = DispatchSemaphore(value: 0)
        let count = self.count, timeout = self.timeout
        Thread.detachNewThread {
            defer { finished.signal() }
            guard (try? listener.wait(for: .readable, timeout: timeout)) == true,
                let connection = try? listener.accept()
            else { return }
            var buffer = [UInt8](repeating: 0, count: 65536)
            var pending: [UInt8] = []
            var start = 0
            var expected = 0
            let deadline = Clock.now + timeout
            while Clock.now < deadline {
                guard (try? connection.wait(for: .readable, timeout: deadline - Clock.now)) == true,
                    let received = try? connection.receive(into: &buffer), received > 0
                else { break }
                outcome.addBytes(received)
                pending += buffer[..<received]
                while pending.count - start >= size {
                    let message = pending[start..<(start + size)]
                    let sequence = Message.sequence(message)
                    if sequence != expected { outcome.markOutOfOrder() }
                    if !Message.isIntact(message, sequence: sequence) { outcome.markDamaged() }
                    expected = sequence + 1
                    outcome.delivered()
                    start += size
                }
                pending.removeSubrange(..<start)
                start = 0
            }
            outcome.finish(time: Clock.now)
            connection.close()
        }
        let sender = try NetworkPath.inside(path, .client) { () throws(SocketError) in
            try Socket.connect(host: server, port: port, timeout: 10)
        }
        sender.setTimeout(seconds: timeout)
        let started = Clock.now
        var stream = [UInt8](repeating: 0, count: count * size)
        for sequence in 0..<count { Message.write(sequence: sequence, size: size, into: &stream, at: sequence * size) }
        do {
            try sender.sendAll(stream)
        } catch {
            result.complete = false
        }
        sender.shutdown(.write)
        finished.wait()
        let retransmissions = netlab_tcp_total_retransmissions(sender.descriptor)
        result.retransmissions = retransmissions >= 0 ? retransmissions : nil
        sender.close()
        result.relay = path.map { Self.combined($0.finish(timeout: 5)) }
        result.sent = count
        result.delivered = outcome.messages
        result.bytes = outcome.bytes
        result.inOrder = !outcome.outOfOrder
        result.intact = !outcome.damaged
        result.complete = result.complete && result.delivered == count
        result.seconds = max(0, (outcome.endTime ?? Clock.now) - started)
        result.throughput = result.seconds > 0 ? Double(result.bytes * 8) / result.seconds : 0
        return result
    }

    /// Message k: a 4-byte sequence number, 8 bytes for a send time (UDP), then bytes that depend
    /// on k, so the receiver can tell each message's place and whether it arrived intact.
    enum Message {
        static func write(sequence: Int, size: Int, into buffer: inout [UInt8], at base: Int = 0) {
            for index in 0..<4 { buffer[base + index] = UInt8(truncatingIfNeeded: sequence >> (24 - 8 * index)) }
            for index in 12..<size { buffer[base + index] = UInt8(truncatingIfNeeded: sequence &+ index) }
        }

        static func sequence(_ message: ArraySlice<UInt8>) -> Int {
            message.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        }

        static func isIntact(_ message: ArraySlice<UInt8>, sequence: Int) -> Bool {
            message.dropFirst(12).enumerated().allSatisfy { $1 == UInt8(truncatingIfNeeded: sequence &+ 12 &+ $0) }
        }
    }

    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    final class ArrivalLog: Sendable {
        struct Arrival {
            var sequence: Int
            var sent: UInt64
            var arrived: UInt64
        }
        private struct State {
            var arrivals: [Arrival] = []
            var unique = Set<Int>()
        }
        private let state: Mutex<State>
        private let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            var initial = State()
            initial.arrivals.reserveCapacity(capacity)
            state = Mutex(initial)
        }

        func add(sequence: Int, sent: UInt64, arrived: UInt64) {
            state.withLock { state in
                guard state.arrivals.count < capacity else { return }
                state.arrivals.append(Arrival(sequence: sequence, sent: sent, arrived: arrived))
                state.unique.insert(sequence)
            }
        }
        var uniqueCount: Int { state.withLock { $0.unique.count } }
        var total: Int { state.withLock { $0.arrivals.count } }
        var snapshot: [Arrival] { state.withLock { $0.arrivals } }
    }

    final class TCPOutcome: Sendable {
        struct State {
            var messages = 0
            var bytes = 0
            var outOfOrder = false
            var damaged = false
            var endTime: Double?
        }
        private let state = Mutex(State())

        func addBytes(_ count: Int) { state.withLock { $0.bytes += count } }
        func delivered() { state.withLock { $0.messages += 1 } }
        func markOutOfOrder() { state.withLock { $0.outOfOrder = true } }
        func markDamaged() { state.withLock { $0.damaged = true } }
        func finish(time: Double) { state.withLock { $0.endTime = time } }
        var messages: Int { state.withLock { $0.messages } }
        var bytes: Int { state.withLock { $0.bytes } }
        var outOfOrder: Bool { state.withLock { $0.outOfOrder } }
        var damaged: Bool { state.withLock { $0.damaged } }
        var endTime: Double? { state.withLock { $0.endTime } }
    }
}

extension Comparison.Report {
    /// Two columns, UDP and TCP, one measure per row.
    public var table: [String] {
        func row(_ name: String, _ udp: String, _ tcp: String) -> String {
            name.padded(24) + udp.padded(30) + tcp
        }
        func mbps(_ bits: Double) -> String { String(format: "%.1f Mbit/s", bits / 1e6) }
        var lines = [row("", "UDP", "TCP")]
        lines.append(row("messages sent", "\(udp.sent)", "\(tcp.sent)"))
        lines.append(row("delivered", "\(udp.delivered)", "\(tcp.delivered)" + (tcp.complete ? "" : " (incomplete)")))
        lines.append(row("lost", "\(udp.lost)", "\(tcp.sent - tcp.delivered)"))
        lines.append(row("duplicated", "\(udp.duplicated)", "0 (TCP drops duplicates)"))
        lines.append(row("out of order", "\(udp.outOfOrder)", tcp.inOrder ? "0 (TCP reorders)" : "OUT OF ORDER"))
        lines.append(row("bytes intact, in order", "-", tcp.inOrder && tcp.intact && tcp.complete ? "yes" : "NO"))
        lines.append(
            row(
                "retransmissions", "none (UDP never resends)",
                tcp.retransmissions.map { "\($0) (TCP_INFO)" } ?? "unknown"))
        lines.append(row("total time", String(format: "%.3f s", udp.seconds), String(format: "%.3f s", tcp.seconds)))
        lines.append(row("throughput", mbps(udp.throughput), mbps(tcp.throughput)))
        lines.append(row("jitter (RFC 3550)", String(format: "%.3f ms", udp.jitter * 1000), "-"))
        let relay = udp.relay
        lines.append(
            row(
                "relay did", "\(relay.dropped) dropped, \(relay.duplicated) dup, \(relay.reordered) held",
                tcp.relay.map { "\($0.dropped) dropped, \($0.duplicated) dup, \($0.reordered) held of \($0.seen)" }
                    ?? "nothing (not impaired)"))
        return lines
    }

    public func json(impairment: Impairment, size: Int) -> String {
        func counters(_ value: ImpairmentEngine.Counters) -> FlatJSON {
            FlatJSON([
                ("seen", .integer(value.seen)), ("dropped", .integer(value.dropped)),
                ("duplicated", .integer(value.duplicated)), ("reordered", .integer(value.reordered)),
                ("forwarded", .integer(value.forwarded)),
            ])
        }
        let udpObject = FlatJSON([
            ("sent", .integer(udp.sent)), ("delivered", .integer(udp.delivered)), ("lost", .integer(udp.lost)),
            ("duplicated", .integer(udp.duplicated)), ("out_of_order", .integer(udp.outOfOrder)),
            ("seconds", .double(udp.seconds)), ("throughput_bps", .double(udp.throughput)),
            ("jitter_ms", .double(udp.jitter * 1000)), ("relay", .object(counters(udp.relay))),
        ])
        let tcpObject = FlatJSON([
            ("sent", .integer(tcp.sent)), ("delivered", .integer(tcp.delivered)), ("bytes", .integer(tcp.bytes)),
            ("in_order", .bool(tcp.inOrder)), ("intact", .bool(tcp.intact)), ("complete", .bool(tcp.complete)),
            ("seconds", .double(tcp.seconds)), ("throughput_bps", .double(tcp.throughput)),
            ("retransmissions", tcp.retransmissions.map { .integer($0) } ?? .null),
            ("impaired", .bool(tcp.impaired)), ("relay", tcp.relay.map { .object(counters($0)) } ?? .null),
        ])
        let settings = FlatJSON([
            ("loss", .double(impairment.loss)), ("reorder", .double(impairment.reorder)),
            ("duplicate", .double(impairment.duplicate)), ("delay_ms", .double(impairment.delay * 1000)),
            ("jitter_ms", .double(impairment.jitter * 1000)), ("seed", .integer(Int(impairment.seed))),
            ("size", .integer(size)),
        ])
        return FlatJSON([
            ("path", .string(path)), ("impairment", .object(settings)), ("udp", .object(udpObject)),
            ("tcp", .object(tcpObject)), ("notes", .string(notes.joined(separator: "; "))),
        ]).encoded
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
