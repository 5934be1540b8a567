/// A seeded simulation of one TCP transfer over a slow, lossy path, written as a pcap as the
/// sender's host would capture it: a handshake with MSS, SACK-permitted and window scaling, a
/// request, then a download with slow start, Reno/NewReno fast retransmission after three
/// duplicate ACKs, RTO retransmissions with back-off, SACK blocks for data after a hole, a
/// receiver whose application pauses (zero window, window probes, window updates), and a
/// close. Same seed, same bytes. It exists to give the graph, RTT and narration tests real
/// dynamics that loopback never shows, with tshark as the independent judge of what happened.
public struct TCPTransferSimulator {
    public var bytes: Int
    public var mss = 1460
    public var delay: Double
    public var jitter: Double
    public var dataLoss: Double
    public var ackLoss: Double
    public var clientScale: UInt8?
    public var serverScale: UInt8?
    public var sack: Bool
    public var receiveBuffer: Int
    /// Bytes per second the client's application reads; it stops reading during `pause`.
    public var readRate: Double
    public var pause: (start: Double, length: Double)?
    private var random: SeededGenerator

    public init(seed: UInt64) {
        random = SeededGenerator(state: seed)
        bytes = Int.random(in: 20_000...160_000, using: &random)
        delay = Double.random(in: 0.005...0.040, using: &random)
        jitter = Double.random(in: 0...0.004, using: &random)
        dataLoss = [0, 0.01, 0.03, 0.06][Int.random(in: 0...3, using: &random)]
        ackLoss = Bool.random(using: &random) ? 0 : 0.02
        clientScale = [nil, 0, 2, 7][Int.random(in: 0...3, using: &random)]
        serverScale = Bool.random(using: &random) ? nil : 7
        sack = Bool.random(using: &random)
        receiveBuffer = [8_192, 16_384, 32_768, 65_535][Int.random(in: 0...3, using: &random)]
        readRate = Double.random(in: 200_000...4_000_000, using: &random)
        if Int.random(in: 0...2, using: &random) > 0 {
            pause = (Double.random(in: 0.05...0.3, using: &random), Double.random(in: 0.2...1.5, using: &random))
        }
    }

    // MARK: - Packets and the capture

    struct Packet {
        var fromClient: Bool
        var sequence: UInt32, acknowledgment: UInt32
        var flags: UInt8
        var window: UInt16
        var length: Int
        var options: [UInt8] = []
    }

    enum Event {
        case atClient(Packet), atServer(Packet), timeout(Int), persist(Int), read
    }

    private var events: [(time: Double, order: Int, event: Event)] = []
    private var order = 0
    private var records: [(time: Double, order: Int, bytes: [UInt8])] = []
    private var lastArrival = [0.0, 0.0]
    let clientISN: UInt32 = 0x1000_0000, serverISN: UInt32 = 0xF000_0000
    let requestLength = 120

    private mutating func schedule(_ time: Double, _ event: Event) {
        order += 1
        events.append((time, order, event))
    }

    /// The capture is taken at the server: its own packets as they leave, the client's as they arrive.
    private mutating func record(_ packet: Packet, at time: Double) {
        order += 1
        records.append((time, order, frame(packet)))
    }

    /// Sends over the path: lost with the path's probability, else arrives after the delay
    /// (first in, first out: jitter never reorders).
    private mutating func transmit(_ packet: Packet, now: Double) {
        if !packet.fromClient { record(packet, at: now) }
        let lossRate = packet.length > 0 ? dataLoss : ackLoss
        if packet.flags & 0x07 == 0 && Double.random(in: 0..<1, using: &random) < lossRate { return }
        let side = packet.fromClient ? 1 : 0
        let arrival = max(now + delay + Double.random(in: 0...jitter, using: &random), lastArrival[side] + 1e-6)
        lastArrival[side] = arrival
        if packet.fromClient {
            record(packet, at: arrival)
            schedule(arrival, .atServer(packet))
        } else {
            schedule(arrival, .atClient(packet))
        }
    }

    // MARK: - The two ends

    struct Sender {
        var una = 1, next = 1, highest = 1  // relative sequence numbers, data from 1
        var congestionWindow = 0, threshold = 1 << 30
        var peerWindow = 0
        var duplicates = 0
        var recovery: Int?
        var timer = 0, timeout = 0.2, timerRunning = false
        var persistGeneration = 0, persistBackoff = 0.2, persistRunning = false
        var finSent = false, done = false
    }

    struct Receiver {
        var next = 1
        var unread = 0
        var held: [(start: Int, end: Int)] = []
        var recent: [Int] = []  // starts of held blocks, most recent first (RFC 2018 order)
        var right = 0
        var advertisedZero = false
        var gotFIN = false
    }

    private var sender = Sender()
    private var receiver = Receiver()

    var scaleOn: Bool { clientScale != nil && serverScale != nil }

    /// The window field: what is left up to the advertised right edge. The edge never moves
    /// back, and moves on only by a full segment (RFC 1122's receiver-side silly-window
    /// avoidance), so repeated ACKs carry the same window (tshark's duplicate ACK condition).
    private mutating func clientWindowField() -> UInt16 {
        let possible = receiver.next + receiveBuffer - receiver.unread
        if possible >= receiver.right + mss || receiver.right == 0 { receiver.right = possible }
        let shift = scaleOn ? Int(clientScale!) : 0
        return UInt16(min(65_535, max(0, receiver.right - receiver.next) >> shift))
    }

    private mutating func clientAck(now: Double, sackBlocks: Bool) {
        var options: [UInt8] = []
        if sack && sackBlocks && !receiver.held.isEmpty {
            let blocks = receiver.recent.prefix(3).compactMap { start in receiver.held.first { $0.start == start } }
            options = [1, 1, 5, UInt8(2 + 8 * blocks.count)]
            for block in blocks {
                options += Self.be32(serverISN &+ UInt32(block.start)) + Self.be32(serverISN &+ UInt32(block.end))
            }
        }
        let window = clientWindowField()
        receiver.advertisedZero = window == 0
        transmit(
            Packet(
                fromClient: true, sequence: clientISN &+ UInt32(1 + requestLength),
                acknowledgment: serverISN &+ UInt32(receiver.next), flags: 0x10, window: window, length: 0,
                options: options), now: now)
    }

    private mutating func clientReceives(_ packet: Packet, now: Double) {
        let start = Int(packet.sequence &- serverISN), end = start + packet.length
        if packet.flags & 0x01 != 0 {
            if start == receiver.next {
                receiver.next += 1
                receiver.gotFIN = true
                transmit(
                    Packet(
                        fromClient: true, sequence: clientISN &+ UInt32(1 + requestLength),
                        acknowledgment: serverISN &+ UInt32(receiver.next), flags: 0x11, window: clientWindowField(),
                        length: 0), now: now)
            }
            return
        }
        guard packet.length > 0 else { return }
        if start == receiver.next && end <= receiver.right {
            receiver.next = end
            receiver.unread += end - start
            // Held blocks that now follow on come into order.
            while let index = receiver.held.firstIndex(where: { $0.start <= receiver.next }) {
                let block = receiver.held.remove(at: index)
                receiver.recent.removeAll { $0 == block.start }
                if block.end > receiver.next {
                    receiver.unread += block.end - receiver.next
                    receiver.next = block.end
                }
            }
        } else if start > receiver.next && end <= receiver.right
            && !receiver.held.contains(where: { $0.start < end && start < $0.end })
        {
            // After a hole: held, merged with a neighbour, reported first in SACK.
            var block = (start: start, end: end)
            if let index = receiver.held.firstIndex(where: { $0.end == start }) {
                block.start = receiver.held[index].start
                receiver.recent.removeAll { $0 == receiver.held[index].start }
                receiver.held.remove(at: index)
            }
            if let index = receiver.held.firstIndex(where: { $0.start == end }) {
                block.end = receiver.held[index].end
                receiver.recent.removeAll { $0 == receiver.held[index].start }
                receiver.held.remove(at: index)
            }
            receiver.held.append(block)
            receiver.recent.insert(block.start, at: 0)
        }
        clientAck(now: now, sackBlocks: true)
    }

    private mutating func clientReads(now: Double) {
        if let pause, now >= pause.start && now < pause.start + pause.length {
            schedule(now + 0.005, .read)
            return
        }
        receiver.unread -= min(receiver.unread, Int(readRate * 0.005))
        // A window update when a small (or zero) window can open by a full segment.
        let possible = receiver.next + receiveBuffer - receiver.unread
        if receiver.right - receiver.next < mss && possible >= receiver.right + mss {
            clientAck(now: now, sackBlocks: false)
        }
        if !receiver.gotFIN || receiver.unread > 0 { schedule(now + 0.005, .read) }
    }

    private mutating func serverSend(_ start: Int, _ length: Int, now: Double) {
        transmit(
            Packet(
                fromClient: false, sequence: serverISN &+ UInt32(start),
                acknowledgment: clientISN &+ UInt32(1 + requestLength), flags: length > 0 ? 0x18 : 0x10,
                window: 0xFFFF >> (scaleOn ? 7 : 0), length: length), now: now)
        if !sender.timerRunning { startTimer(now: now) }
    }

    private mutating func startTimer(now: Double) {
        sender.timer += 1
        sender.timerRunning = true
        schedule(now + sender.timeout, .timeout(sender.timer))
    }

    private mutating func trySend(now: Double) {
        let end = bytes + 1
        while sender.next < end {
            let flight = sender.next - sender.una
            let allowed = min(sender.congestionWindow, sender.peerWindow) - flight
            guard allowed > 0 else { break }
            let length = min(mss, end - sender.next, allowed)
            // No small segment while data is in flight unless the receiver's window is the limit.
            if length < mss && length < end - sender.next && flight > 0 && sender.peerWindow >= sender.congestionWindow
            {
                break
            }
            serverSend(sender.next, length, now: now)
            sender.next += length
            sender.highest = max(sender.highest, sender.next)
        }
        if sender.next == end && sender.una == end && !sender.finSent {
            sender.finSent = true
            transmit(
                Packet(
                    fromClient: false, sequence: serverISN &+ UInt32(end),
                    acknowledgment: clientISN &+ UInt32(1 + requestLength), flags: 0x11,
                    window: 0xFFFF >> (scaleOn ? 7 : 0),
                    length: 0), now: now)
        }
        // A closed window with nothing in flight: the persist timer probes it.
        if sender.peerWindow == 0 && sender.una == sender.next && sender.next < end && !sender.persistRunning {
            sender.persistRunning = true
            sender.persistGeneration += 1
            schedule(now + sender.persistBackoff, .persist(sender.persistGeneration))
        }
    }

    private mutating func retransmitFirst(now: Double) {
        let length = min(mss, sender.highest - sender.una)
        guard length > 0 else { return }
        serverSend(sender.una, length, now: now)
    }

    private mutating func serverReceives(_ packet: Packet, now: Double) {
        if packet.flags & 0x01 != 0 {
            // The client's FIN: the last ACK, and the transfer is over.
            transmit(
                Packet(
                    fromClient: false, sequence: serverISN &+ UInt32(bytes + 2),
                    acknowledgment: packet.sequence &+ 1, flags: 0x10, window: 0xFFFF >> (scaleOn ? 7 : 0), length: 0),
                now: now)
            sender.done = true
            return
        }
        let ack = Int(packet.acknowledgment &- serverISN)
        let window = Int(packet.window) << (scaleOn ? Int(clientScale!) : 0)
        let windowChanged = window != sender.peerWindow
        sender.peerWindow = window
        if window > 0 {
            sender.persistRunning = false
            sender.persistBackoff = 0.2
        }
        if ack > sender.una {
            let acked = ack - sender.una
            sender.una = min(ack, bytes + 1)
            if sender.next < sender.una { sender.next = sender.una }
            sender.highest = max(sender.highest, sender.una)
            sender.duplicates = 0
            sender.timeout = max(0.2, 6 * delay)
            if let recover = sender.recovery {
                if ack >= recover {
                    sender.recovery = nil
                    sender.congestionWindow = sender.threshold
                } else {
                    retransmitFirst(now: now)  // NewReno's partial ACK: the next hole
                }
            } else if sender.congestionWindow < sender.threshold {
                sender.congestionWindow += min(acked, mss)
            } else {
                sender.congestionWindow += max(1, mss * mss / sender.congestionWindow)
            }
            if sender.una < sender.highest { startTimer(now: now) } else { sender.timerRunning = false }
        } else if ack == sender.una && sender.highest > sender.una && !windowChanged && packet.length == 0 {
            sender.duplicates += 1
            if sender.duplicates == 3 && sender.recovery == nil {
                let flight = sender.highest - sender.una
                sender.threshold = max(flight / 2, 2 * mss)
                sender.congestionWindow = sender.threshold + 3 * mss
                sender.recovery = sender.highest
                retransmitFirst(now: now)
            } else if sender.recovery != nil {
                sender.congestionWindow += mss
            }
        }
        trySend(now: now)
    }

    private mutating func serverTimeout(now: Double) {
        sender.timerRunning = false
        guard sender.una < sender.highest else { return }
        sender.threshold = max((sender.highest - sender.una) / 2, 2 * mss)
        sender.congestionWindow = mss
        sender.recovery = sender.highest
        sender.duplicates = 0
        sender.timeout = min(sender.timeout * 2, 4)
        retransmitFirst(now: now)
    }

    private mutating func serverProbes(now: Double) {
        sender.persistRunning = false
        guard sender.peerWindow == 0, sender.una == sender.next, sender.next <= bytes else { return }
        // The classic probe: one byte past the closed window (the receiver drops it).
        transmit(
            Packet(
                fromClient: false, sequence: serverISN &+ UInt32(sender.next),
                acknowledgment: clientISN &+ UInt32(1 + requestLength), flags: 0x18,
                window: 0xFFFF >> (scaleOn ? 7 : 0), length: 1), now: now)
        sender.persistBackoff = min(sender.persistBackoff * 2, 1.6)
        sender.persistRunning = true
        sender.persistGeneration += 1
        schedule(now + sender.persistBackoff, .persist(sender.persistGeneration))
    }

    // MARK: - Running it

    /// The transfer as a pcap file (Ethernet, microsecond timestamps).
    public mutating func pcap() -> [UInt8] {
        var synOptions: [UInt8] = [2, 4] + Self.be16(UInt16(mss))
        var clientSYN = synOptions
        if sack { clientSYN += [4, 2] }
        if let clientScale { clientSYN += [3, 3, clientScale] }
        if let serverScale { synOptions += [3, 3, serverScale] }
        if sack { synOptions += [4, 2] }
        let start = 1_764_000_000.0
        transmit(
            Packet(
                fromClient: true, sequence: clientISN, acknowledgment: 0, flags: 0x02,
                window: UInt16(min(65_535, receiveBuffer)),
                length: 0, options: clientSYN), now: 0)
        var now = 0.0
        // The handshake and the request, in order, without loss.
        let savedLoss = (dataLoss, ackLoss)
        (dataLoss, ackLoss) = (0, 0)
        events.removeAll()
        now = lastArrival[1]  // the SYN-ACK answers the SYN when it arrives
        transmit(
            Packet(
                fromClient: false, sequence: serverISN, acknowledgment: clientISN &+ 1, flags: 0x12, window: 65_535,
                length: 0, options: synOptions), now: now)
        now += delay
        transmit(
            Packet(
                fromClient: true, sequence: clientISN &+ 1, acknowledgment: serverISN &+ 1, flags: 0x10,
                window: clientWindowField(), length: 0), now: now)
        transmit(
            Packet(
                fromClient: true, sequence: clientISN &+ 1, acknowledgment: serverISN &+ 1, flags: 0x18,
                window: clientWindowField(), length: requestLength), now: now + 0.0001)
        events.removeAll()
        (dataLoss, ackLoss) = savedLoss
        now += delay + jitter + 0.001
        sender.peerWindow = Int(clientWindowField()) << (scaleOn ? Int(clientScale!) : 0)
        sender.congestionWindow = 4 * mss
        sender.timeout = max(0.2, 6 * delay)
        schedule(now, .read)
        trySend(now: now)

        var steps = 0
        while !events.isEmpty && steps < 200_000 && !sender.done {
            steps += 1
            let index = events.indices.min {
                (events[$0].time, events[$0].order) < (events[$1].time, events[$1].order)
            }!
            let (time, _, event) = events.remove(at: index)
            guard time < 600 else { break }
            switch event {
            case .atClient(let packet): clientReceives(packet, now: time)
            case .atServer(let packet): serverReceives(packet, now: time)
            case .timeout(let generation):
                if generation == sender.timer && sender.timerRunning { serverTimeout(now: time) }
            case .persist(let generation): if generation == sender.persistGeneration { serverProbes(now: time) }
            case .read: clientReads(now: time)
            }
        }
        records.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        var file: [UInt8] = []
        file += Self.le32(0xA1B2_C3D4) + Self.le16(2) + Self.le16(4) + Self.le32(0) + Self.le32(0)
        file += Self.le32(65_535) + Self.le32(1)
        for record in records {
            let micros = Int64(((start + record.time) * 1_000_000).rounded())
            file += Self.le32(UInt32(micros / 1_000_000)) + Self.le32(UInt32(micros % 1_000_000))
            file += Self.le32(UInt32(record.bytes.count)) + Self.le32(UInt32(record.bytes.count))
            file += record.bytes
        }
        return file
    }

    func frame(_ packet: Packet) -> [UInt8] {
        var options = packet.options
        while options.count % 4 != 0 { options.append(1) }
        let client: [UInt8] = [10, 1, 0, 1], server: [UInt8] = [10, 2, 0, 2]
        let clientPort: UInt16 = 40_000, serverPort: UInt16 = 8080
        var tcp = Self.be16(packet.fromClient ? clientPort : serverPort)
        tcp += Self.be16(packet.fromClient ? serverPort : clientPort)
        tcp += Self.be32(packet.sequence) + Self.be32(packet.acknowledgment)
        tcp += [UInt8((20 + options.count) / 4) << 4, packet.flags] + Self.be16(packet.window) + [0, 0, 0, 0]
        tcp += options + [UInt8](repeating: 0, count: packet.length)
        var ip: [UInt8] = [0x45, 0] + Self.be16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0]
        ip += packet.fromClient ? client + server : server + client
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[index]) << 8 | UInt32(ip[index + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        ip[10] = UInt8((~sum >> 8) & 0xFF)
        ip[11] = UInt8(~sum & 0xFF)
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]
        return ethernet + ip + tcp
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }
    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { le16(UInt16(value & 0xFFFF)) + le16(UInt16(value >> 16)) }
}
