import Capture
import Inspect

/// What a capture shows, in the terms lesson checks ask about: connections and how they
/// opened and closed, HTTP messages, UDP datagrams, ICMP errors.
public struct CaptureFacts: Sendable {
    public struct Connection: Sendable {
        public var stream: Int
        public var client: String
        public var server: String
        public var serverPort: UInt16 = 0
        public var clientStates: Set<TCPState> = []
        public var serverStates: Set<TCPState> = []
        public var synSeen = false
        public var synAckSeen = false
        public var finFrom: Set<TCPRole> = []
        public var firstToClose: TCPRole?
        public var reset = false
        public var dataSegments: [TCPRole: Int] = [:]
        public var httpRequests = 0
        /// First and last packet, seconds from the start of the capture.
        public var start = 0.0
        public var end = 0.0
        /// When the client gave up: its first FIN, or the first RST on the connection.
        public var clientGaveUp: Double?
        /// Each direction's bytes in stream order (the analyzer's reassembly: retransmissions
        /// once, reordering undone), at most `CaptureFacts.keptBytes` of them.
        public var bytes: [TCPRole: [UInt8]] = [:]
        /// Bytes of each direction the capture never showed (holes the reassembler skipped).
        public var gapBytes: [TCPRole: Int] = [:]
        /// Directions with more bytes than were kept.
        public var truncated: Set<TCPRole> = []
        /// Segments whose bytes the receiver acknowledged although the capture never showed them:
        /// the capturer dropped them (a segment lost on the network is never acknowledged).
        public var ackedUnseen = 0
        /// MSS, segment sizes, windows and retransmissions per side (lessons 18–20).
        public var dynamics = ConnectionDynamics()

        public init(stream: Int, client: String, server: String, serverPort: UInt16 = 0) {
            self.stream = stream
            self.client = client
            self.server = server
            self.serverPort = serverPort
        }

        public var handshakeComplete: Bool {
            synSeen && synAckSeen && clientStates.contains(.established) && serverStates.contains(.established)
        }
    }

    public var frames = 0
    public var connections: [Connection] = []
    public var http: [HTTPConversation.Message] = []
    public var udpDatagrams: Int { datagrams.count }
    public var portUnreachable: Int { unreachablePorts.count }
    /// Every UDP datagram (first fragments only), in capture order.
    public var datagrams: [Datagram] = []
    /// For each ICMP port unreachable, the destination port of the UDP datagram it quotes
    /// (nil when the quote is cut short or is not UDP).
    public var unreachablePorts: [UInt16?] = []
    /// Every ICMP (and ICMPv6) echo request and reply, in capture order.
    public var icmpEchoes: [ICMPEcho] = []
    /// Bytes of one direction of a connection kept for content checks (echo, framing): a
    /// lesson's exchange is far smaller; a student's huge capture costs bounded memory.
    public static let keptBytes = 16 << 20
    /// Each frame's time in seconds from the first frame (index: frame number - 1), to place
    /// HTTP messages in time.
    public var frameTimes: [Double] = []

    public init() {}

    /// Reads a capture file through netlab's analyzer.
    public static func read(_ path: String) throws(CaptureError) -> CaptureFacts {
        let handle = try CaptureHandle.file(path)
        let linkType = LinkType(rawValue: handle.linkType)
        var analyzer = CaptureAnalyzer()
        var seenBytes: [Int: Int] = [:]
        var unfollowed: Set<Int> = []
        var facts = CaptureFacts()
        var byStream: [Int: Connection] = [:]
        var firstMicros: Int64?
        _ = try handle.forEach { packet in
            facts.frames += 1
            // Seconds from the first frame, as the tracker's connection times.
            let micros = packet.seconds * 1_000_000 + Int64(packet.fraction)
            if firstMicros == nil { firstMicros = micros }
            facts.frameTimes.append(Double(micros - firstMicros!) / 1e6)
            let bytes = ByteView(packet.bytes)
            switch PacketKind.classify(bytes, linkType: linkType, wireLength: packet.wireLength) {
            case .udp(let source, let destination, _):
                facts.datagrams.append(
                    Datagram(
                        frame: facts.frames, sourcePort: source, destinationPort: destination,
                        payload: Datagram.payload(bytes, linkType: linkType, wireLength: packet.wireLength)))
            case let kind where kind.isPortUnreachable:
                facts.unreachablePorts.append(
                    Datagram.quotedDestinationPort(bytes, linkType: linkType, wireLength: packet.wireLength))
            case .icmp:
                if let echo = ICMPEcho.decode(
                    bytes, linkType: linkType, wireLength: packet.wireLength, number: facts.frames)
                {
                    facts.icmpEchoes.append(echo)
                }
            default: break
            }
            // Streams are numbered in order of appearance: follow the next one before it starts,
            // and stop following one once it carried more than `keptBytes` each way on average.
            analyzer.followStreams.insert(analyzer.tracker.connections.count)
            let result = analyzer.add(
                bytes, linkType: linkType, wireLength: packet.wireLength, seconds: packet.seconds,
                microseconds: packet.fraction)
            facts.http += result.httpMessages
            guard let segment = result.segment, let observation = result.observation else { return true }
            // What the tracker does not keep: every state passed through, and per-side segment kinds.
            let tracked = analyzer.tracker.connection(observation.stream)
            var connection =
                byStream[observation.stream]
                ?? Connection(
                    stream: observation.stream, client: tracked.client, server: tracked.server,
                    serverPort: tracked.serverEndpoint.port)
            connection.clientStates.insert(tracked.clientState)
            connection.serverStates.insert(tracked.serverState)
            for change in observation.stateChanges {
                if change.role == .client {
                    connection.clientStates.insert(change.to)
                } else {
                    connection.serverStates.insert(change.to)
                }
            }
            if segment.isSYN && !segment.isACK { connection.synSeen = true }
            if segment.isSYN && segment.isACK { connection.synAckSeen = true }
            if segment.isFIN { connection.finFrom.insert(observation.role) }
            if connection.clientGaveUp == nil && (segment.isRST || (segment.isFIN && observation.role == .client)) {
                connection.clientGaveUp = facts.frameTimes.last
            }
            if segment.payloadLength > 0 { connection.dataSegments[observation.role, default: 0] += 1 }
            if observation.flags.contains(.ackedUnseenSegment) { connection.ackedUnseen += 1 }
            connection.dynamics.add(
                segment, role: observation.role, flags: observation.flags, time: facts.frameTimes.last ?? 0)
            seenBytes[observation.stream, default: 0] += segment.payloadLength
            if seenBytes[observation.stream, default: 0] > 2 * Self.keptBytes {
                analyzer.followStreams.remove(observation.stream)
                unfollowed.insert(observation.stream)
            }
            byStream[observation.stream] = connection
            return true
        }
        // What it does keep is read once, at the end.
        for (stream, var connection) in byStream {
            let tracked = analyzer.tracker.connection(stream)
            connection.firstToClose = tracked.firstToClose
            connection.reset = tracked.reset
            connection.start = tracked.firstTime
            connection.end = tracked.lastTime
            byStream[stream] = connection
        }
        facts.http += analyzer.finish()
        for (stream, chunks) in analyzer.followed {
            guard var connection = byStream[stream] else { continue }
            if unfollowed.contains(stream) { connection.truncated = [.client, .server] }
            for (role, chunk) in chunks {
                switch chunk {
                case .data(let data):
                    let room = Self.keptBytes - connection.bytes[role, default: []].count
                    if data.count > room { connection.truncated.insert(role) }
                    connection.bytes[role, default: []] += data.prefix(max(0, room))
                case .gap(let count):
                    connection.gapBytes[role, default: 0] += count
                }
            }
            byStream[stream] = connection
        }
        for message in facts.http where message.head?.method != nil && !message.isMalformed {
            byStream[message.stream]?.httpRequests += 1
        }
        facts.connections = byStream.keys.sorted().compactMap { byStream[$0] }
        return facts
    }

    /// Connections in which the capture itself missed packets (see `Connection.ackedUnseen`):
    /// what their checks find may be the capture's doing, not the programs'.
    /// Both signs say the same: bytes acknowledged but never seen, and holes in a stream that no
    /// retransmission ever filled (had the network lost them, the sender would have resent them
    /// and the capture would show it).
    public var incompleteConnections: [Connection] {
        connections.filter { $0.ackedUnseen > 0 || $0.gapBytes.values.contains { $0 > 0 } }
    }

    /// For each HTTP response that reached its client in time (its first frame before the
    /// client's FIN or any RST), how many connections were open at that moment; the most of
    /// those, and how many responses came too late (after the client had given up).
    public var concurrentService: (most: Int, late: Int) {
        var most = 0, late = 0
        let byStream = Dictionary(connections.map { ($0.stream, $0) }, uniquingKeysWith: { first, _ in first })
        for message in http where message.kind == .response && !message.isMalformed && message.head?.status != nil {
            guard let connection = byStream[message.stream], message.firstFrame >= 1,
                message.firstFrame <= frameTimes.count
            else { continue }
            let time = frameTimes[message.firstFrame - 1]
            if let gaveUp = connection.clientGaveUp, gaveUp <= time {
                late += 1
                continue
            }
            let open = connections.filter { $0.start <= time && time <= $0.end }.count
            most = max(most, open)
        }
        return (most, late)
    }

    /// The most connections open at one moment (their first-to-last packet spans overlapping).
    public var maxConcurrent: Int {
        var edges: [(Double, Int)] = []
        for connection in connections {
            edges.append((connection.start, 1))
            edges.append((connection.end, -1))
        }
        edges.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var open = 0, most = 0
        for edge in edges {
            open += edge.1
            most = max(most, open)
        }
        return most
    }
}
