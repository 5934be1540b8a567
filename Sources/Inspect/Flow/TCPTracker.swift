/// Follows every TCP connection in a capture (IPv4 and IPv6): who is client and server, each
/// side's RFC 9293 state, per-direction counters, in-order data (reassembly with memory
/// bounds) and tshark-compatible analysis flags. Feed segments in capture order.
public struct TCPTracker {
    /// Memory limits with their defaults.
    public struct Limits: Sendable {
        /// Bytes one direction may hold while waiting for a missing segment.
        public var waitingBytesPerDirection = 1 << 20
        /// Connections whose reassembly and analysis state is kept at once; beyond it the least
        /// recently active eighth lose theirs (their counters and states stay).
        public var liveConnections = 16_384
        public init() {}
    }

    /// One connection (a `tcp.stream` in tshark's numbering: 0, 1, … in order of appearance).
    public struct Connection: Sendable {
        public let stream: Int
        /// The endpoints (typed; the text forms below are for display).
        public let clientEndpoint: Endpoint
        public let serverEndpoint: Endpoint
        public let client: String
        public let server: String
        public var clientState: TCPState
        public var serverState: TCPState
        public var sawHandshake: Bool
        public var clientISN: UInt32?
        public var serverISN: UInt32?
        /// Frames and frame bytes (wire lengths), client → server and server → client.
        public var framesToServer = 0, bytesToServer = 0, framesToClient = 0, bytesToClient = 0
        public var firstFrame: Int, lastFrame: Int
        public var firstTime: Double, lastTime: Double
        /// Who sent the connection's first captured frame (tshark's address A).
        public var firstSender: TCPRole = .client
        /// Who closed first (sent the first FIN), and whether a reset ended it.
        public var firstToClose: TCPRole?
        public var reset = false
        var synTime: Double?
        var firstRTT: Double?
        var finSequence: [UInt32?] = [nil, nil]

        public func state(_ role: TCPRole) -> TCPState { role == .client ? clientState : serverState }
        mutating func setState(_ role: TCPRole, _ state: TCPState, _ changes: inout [TCPStateChange]) {
            let old = self.state(role)
            guard old != state else { return }
            if role == .client { clientState = state } else { serverState = state }
            changes.append(TCPStateChange(role: role, from: old, to: state))
        }
        /// The connection ended (reset, or closed after a FIN): a new SYN on its endpoints starts
        /// another. A client still CLOSED because only the SYN-ACK was seen so far has not ended:
        /// its SYN, recorded after the SYN-ACK, belongs to the same connection (as in tshark).
        public var isFinished: Bool {
            reset || clientState == .timeWait || (clientState == .closed && firstToClose != nil)
        }
        /// Both sides are done: nothing more will be delivered.
        public var isOver: Bool {
            reset || ([.closed, .timeWait].contains(clientState) && [.closed, .timeWait].contains(serverState))
        }
    }

    /// What one segment meant.
    public struct Observation: Sendable {
        public var stream: Int
        public var role: TCPRole
        public var stateChanges: [TCPStateChange]
        public var flags: TCPAnalysisFlags
        /// In-order bytes this segment made available, in its direction.
        public var delivered: [StreamReassembler.Chunk]
        public var relativeSequence: UInt32
        public var relativeAcknowledgment: UInt32
        public var isNewConnection: Bool
    }

    /// What only an active connection needs: reassembly and analysis, per direction.
    struct LiveState {
        var reassembly: [StreamReassembler]
        var analysis = [TCPDirectionAnalysis(), TCPDirectionAnalysis()]
    }

    public var limits: Limits
    public private(set) var connections: [Connection] = []
    private var live: [Int: LiveState] = [:]
    /// Index into `connections` by the two endpoints (client first when known).
    private var index: [EndpointPair: Int] = [:]

    /// The two endpoints in a fixed order, so both directions find the same connection.
    struct EndpointPair: Hashable {
        var low: Endpoint
        var high: Endpoint
        init(_ a: Endpoint, _ b: Endpoint) { (low, high) = a < b ? (a, b) : (b, a) }
    }

    public init(limits: Limits = Limits()) { self.limits = limits }

    public mutating func process(_ segment: TCPSegment, frame: Int, time: Double, wireLength: Int) -> Observation {
        let from = segment.sourceEndpointValue, to = segment.destinationEndpointValue
        let key = EndpointPair(from, to)
        var isNew = false
        var position = index[key]
        // A new SYN on a finished connection is a new connection (port reuse), as in tshark.
        if let known = position, segment.isSYN && !segment.isACK, connections[known].isFinished,
            connections[known].clientISN != segment.sequence
        {
            position = nil
        }
        if position == nil {
            isNew = true
            let clientIsSource: Bool
            if segment.isSYN {
                clientIsSource = !segment.isACK
            } else {
                clientIsSource = segment.sourcePort >= segment.destinationPort
            }
            let client = clientIsSource ? from : to, server = clientIsSource ? to : from
            let midstream = !segment.isSYN
            var connection = Connection(
                stream: connections.count, clientEndpoint: client, serverEndpoint: server, client: client.text,
                server: server.text,
                clientState: midstream ? .established : .closed, serverState: midstream ? .established : .listen,
                sawHandshake: !midstream, firstFrame: frame, lastFrame: frame, firstTime: time, lastTime: time)
            connection.firstSender = clientIsSource ? .client : .server
            connections.append(connection)
            position = connections.count - 1
            index[key] = position
        }
        let at = position!
        let role: TCPRole = from == connections[at].clientEndpoint ? .client : .server
        let direction = role == .client ? 0 : 1
        var changes: [TCPStateChange] = []
        // Changed in place in the table: a copy of a connection (its text endpoints) per segment
        // cost more than the rest of the tracking.
        Self.track(segment, role: role, time: time, connection: &connections[at], changes: &changes)
        connections[at].lastFrame = frame
        connections[at].lastTime = time
        if role == .client {
            connections[at].framesToServer += 1
            connections[at].bytesToServer += wireLength
        } else {
            connections[at].framesToClient += 1
            connections[at].bytesToClient += wireLength
        }
        let stream = connections[at].stream, firstRTT = connections[at].firstRTT
        // Reassembly and analysis state is changed in place (no copy of the waiting bytes), and
        // stays after the connection ends (late duplicate ACKs, retransmitted FINs) until evicted.
        let limit = limits.waitingBytesPerDirection
        let (flags, delivered) = withLiveState(stream, limit: limit) { state in
            var forward = state.analysis[direction], reverse = state.analysis[1 - direction]
            let flags = analyzeSegment(segment, time: time, forward: &forward, reverse: &reverse, firstRTT: firstRTT)
            state.analysis[direction] = forward
            state.analysis[1 - direction] = reverse
            guard !segment.payload.isEmpty || segment.isSYN else { return (flags, [StreamReassembler.Chunk]()) }
            state.reassembly[direction].limit = limit  // `limits` may change during a capture
            // The payload is shared, not copied, unless bytes past the segment's length were captured.
            let payload =
                segment.payload.count <= segment.payloadLength
                ? segment.payload : Array(segment.payload.prefix(segment.payloadLength))
            let delivered = state.reassembly[direction].add(
                sequence: segment.sequence, payload: payload, syn: segment.isSYN)
            return (flags, delivered)
        }
        if live.count > limits.liveConnections { evictOldest() }
        let ownISN = role == .client ? connections[at].clientISN : connections[at].serverISN
        let peerISN = role == .client ? connections[at].serverISN : connections[at].clientISN
        return Observation(
            stream: stream, role: role, stateChanges: changes, flags: flags, delivered: delivered,
            relativeSequence: segment.sequence &- (ownISN ?? segment.sequence),
            relativeAcknowledgment: segment.acknowledgment &- (peerISN ?? segment.acknowledgment),
            isNewConnection: isNew)
    }

    /// Both endpoints' states from what this segment says (RFC 9293 §3.3.2, Figure 5).
    private static func track(
        _ segment: TCPSegment, role: TCPRole, time: Double, connection: inout Connection,
        changes: inout [TCPStateChange]
    ) {
        let peer = role.other
        if segment.isRST {
            connection.reset = true
            if role == .server && connection.serverState == .listen {
                // A RST answering a SYN: nothing listened on that port. The server was only
                // assumed LISTEN when the SYN arrived; it was CLOSED all along, so there is no
                // LISTEN → CLOSED transition to report.
                connection.serverState = .closed
            } else {
                connection.setState(role, .closed, &changes)
            }
            connection.setState(peer, .closed, &changes)
            return
        }
        if segment.isSYN && !segment.isACK {
            if role == .client {
                connection.clientISN = segment.sequence
            } else {
                connection.serverISN = segment.sequence
            }
            connection.synTime = time
            connection.setState(role, .synSent, &changes)
            if connection.state(peer) == .closed { connection.setState(peer, .listen, &changes) }
            return
        }
        if segment.isSYN && segment.isACK {
            if role == .client {
                connection.clientISN = segment.sequence
            } else {
                connection.serverISN = segment.sequence
            }
            connection.setState(role, .synReceived, &changes)
            return
        }
        // An ACK: what it acknowledges moves the peer on.
        if segment.isACK {
            let peerState = connection.state(peer)
            let ownState = connection.state(role)
            if ownState == .synSent && peerState == .synReceived {
                // Third segment of the handshake: both sides are now established.
                if let synTime = connection.synTime, connection.firstRTT == nil { connection.firstRTT = time - synTime }
                connection.setState(role, .established, &changes)
                connection.setState(peer, .established, &changes)
            } else if let fin = connection.finSequence[peer == .client ? 0 : 1],
                Int32(bitPattern: segment.acknowledgment &- (fin &+ 1)) >= 0
            {
                switch peerState {
                case .finWait1: connection.setState(peer, .finWait2, &changes)
                case .closing: connection.setState(peer, .timeWait, &changes)
                case .lastAck: connection.setState(peer, .closed, &changes)
                default: break
                }
            }
        }
        if segment.isFIN {
            let direction = role == .client ? 0 : 1
            if connection.finSequence[direction] == nil {
                connection.finSequence[direction] =
                    segment.sequence &+ UInt32(truncatingIfNeeded: segment.payloadLength)
            }
            if connection.firstToClose == nil { connection.firstToClose = role }
            let peerFIN = connection.finSequence[peer == .client ? 0 : 1]
            let acksPeerFIN =
                peerFIN.map { segment.isACK && Int32(bitPattern: segment.acknowledgment &- ($0 &+ 1)) >= 0 } ?? false
            switch connection.state(role) {
            case .established, .synReceived: connection.setState(role, .finWait1, &changes)
            case .closeWait where peerFIN != nil && !acksPeerFIN:
                // This FIN was sent before the peer's FIN arrived: a simultaneous close.
                connection.setState(role, .closing, &changes)
            case .closeWait: connection.setState(role, .lastAck, &changes)
            default: break
            }
            switch connection.state(peer) {
            case .established: connection.setState(peer, .closeWait, &changes)
            case .finWait1: connection.setState(peer, .closing, &changes)
            case .finWait2: connection.setState(peer, .timeWait, &changes)
            default: break
            }
        }
    }

    /// Ends a connection's direction: data still waiting behind a hole comes out after a gap.
    public mutating func flush(stream: Int, role: TCPRole) -> [StreamReassembler.Chunk] {
        live[stream]?.reassembly[role == .client ? 0 : 1].flush() ?? []
    }

    private mutating func withLiveState<R>(_ stream: Int, limit: Int, _ body: (inout LiveState) -> R) -> R {
        body(
            &live[
                stream,
                default: LiveState(reassembly: [StreamReassembler(limit: limit), StreamReassembler(limit: limit)])
            ])
    }

    /// Drops the live state of the least recently active eighth of the connections.
    private mutating func evictOldest() {
        let byAge = live.keys.sorted { connections[$0].lastFrame < connections[$1].lastFrame }
        for stream in byAge.prefix(max(1, byAge.count / 8)) { live[stream] = nil }
    }

    /// Connections with reassembly and analysis state right now.
    public var liveCount: Int { live.count }

    public func connection(_ stream: Int) -> Connection { connections[stream] }
}
