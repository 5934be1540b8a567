/// What one TCP connection's segments show about its dynamics, as a course asks about them
/// (Kurose-Ross's TCP lab, Stevens' and tcptrace's time-sequence graphs): every segment with
/// relative numbers and the scaled advertised window, SampleRTT per acknowledged segment with
/// RFC 6298's estimator, bytes in flight and throughput. Fed one stream's segments in order.
public struct TCPDynamics: Sendable {
    public struct Segment: Sendable {
        public var frame: Int
        /// Seconds since the stream's first frame.
        public var time: Double
        public var fromClient: Bool
        /// Relative to the sender's base: its ISN when the SYN was seen (so data starts at 1).
        public var sequence: UInt32
        public var length: Int
        public var isSYN: Bool, isFIN: Bool, isRST: Bool
        /// Relative to the peer's base; nil when the ACK flag is off.
        public var acknowledgment: UInt32?
        /// The advertised window in bytes: scaled when both SYNs offered scaling (never on a
        /// SYN itself, RFC 7323 §2.2), as tshark's tcp.window_size.
        public var window: Int
        /// SACK blocks relative to the peer's base.
        public var sack: [SACKBlock]
        public var flags: TCPAnalysisFlags
        /// Bytes sent and not yet acknowledged once this data segment left (tshark's bytes_in_flight).
        public var bytesInFlight: Int?
        /// The frame as one line (tcpdump's), for hover text.
        public var summary: String
        /// A data segment (or SYN/FIN) that repeats bytes already sent.
        public var isRetransmission: Bool
    }

    /// One SampleRTT: the time from a data segment's only transmission to the ACK that covers
    /// exactly its last byte, then the estimator's state after it (RFC 6298 §2).
    public struct RTTSample: Sendable {
        public var ackFrame: Int
        public var segmentFrame: Int
        /// The ACK's time, seconds since the stream's first frame.
        public var time: Double
        /// The data's direction.
        public var fromClient: Bool
        public var sample: Double
        public var estimated: Double
        public var deviation: Double
        public var timeout: Double
    }

    /// RFC 6298's smoothed RTT (Kurose-Ross's EstimatedRTT/DevRTT): α = 1/8, β = 1/4, K = 4,
    /// RTO rounded up to 1 s (§2.4; Linux uses 200 ms instead).
    public struct Estimator: Sendable {
        public private(set) var smoothed: Double?
        public private(set) var variation = 0.0
        public static let minimumTimeout = 1.0
        public init() {}
        /// The timeout before the 1 s floor.
        public var rawTimeout: Double? { smoothed.map { $0 + 4 * variation } }
        public var timeout: Double? { rawTimeout.map { max($0, Self.minimumTimeout) } }

        public mutating func add(_ sample: Double) {
            guard let previous = smoothed else {
                smoothed = sample
                variation = sample / 2
                return
            }
            // §2.3: RTTVAR first, from the SRTT before this sample.
            variation = 0.75 * variation + 0.25 * abs(previous - sample)
            smoothed = 0.875 * previous + 0.125 * sample
        }
    }

    /// One direction: what it sent and what its peer acknowledged of it.
    struct Direction: Sendable {
        var base: UInt32?
        var sawSYN = false
        var offeredScale: Int?
        var highestSent: UInt32?
        var highestAcked: UInt32?
        var firstData: UInt32?
        var firstDataTime: Double?
        /// One past the highest data byte sent (a FIN's sequence number not counted).
        var dataEnd: UInt32?
        var lastAckTime: Double?
        var outstanding: [Transmission] = []
        var estimator = Estimator()
        var newBytes = 0
        var retransmittedBytes = 0
        var smallestWindow: Int?
    }

    struct Transmission: Sendable {
        var start: UInt32, end: UInt32
        var time: Double
        var frame: Int
        var retransmitted: Bool
        var carriesData: Bool
    }

    public let stream: Int
    public let client: String
    public let server: String
    public private(set) var segments: [Segment] = []
    public private(set) var samples: [RTTSample] = []
    private var sides = [Direction(), Direction()]
    private var startTime: Double?

    public init(connection: TCPTracker.Connection) {
        stream = connection.stream
        client = connection.client
        server = connection.server
    }

    static let outstandingLimit = 10_000

    static func greater(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }

    /// The window scale shift of one side: known once both SYNs were seen (0 when one of
    /// them did not offer scaling); nil before, as tshark's "unknown" (windows stay raw).
    private func scale(_ side: Int) -> Int? {
        guard sides[side].sawSYN && sides[1 - side].sawSYN else { return nil }
        guard let mine = sides[side].offeredScale, sides[1 - side].offeredScale != nil else { return 0 }
        return min(mine, 14)
    }

    public mutating func add(
        _ segment: TCPSegment, observation: TCPTracker.Observation, frame: Int, time absolute: Double,
        summary: String = ""
    ) {
        guard observation.stream == stream else { return }
        if startTime == nil { startTime = absolute }
        let time = absolute - startTime!
        let own = observation.role == .client ? 0 : 1, peer = 1 - own
        if segment.isSYN {
            sides[own].sawSYN = true
            sides[own].offeredScale = segment.windowScale.map(Int.init)
        }
        if sides[own].base == nil { sides[own].base = segment.isSYN ? segment.sequence : segment.sequence &- 1 }
        if segment.isACK && sides[peer].base == nil { sides[peer].base = segment.acknowledgment &- 1 }
        let sequence = segment.sequence &- sides[own].base!
        let length = segment.payloadLength
        let occupies = UInt32(truncatingIfNeeded: length) &+ (segment.isSYN || segment.isFIN ? 1 : 0)
        let end = sequence &+ occupies

        var retransmission = false
        // A zero-window probe is not part of the data flow (as for tshark, it does not move
        // the next sequence number): the segment that later carries its byte is not a retransmission.
        if occupies > 0 && !observation.flags.contains(.zeroWindowProbe) {
            if let highest = sides[own].highestSent, Self.greater(highest, sequence) {
                // Bytes sent before: Karn's rule, no RTT sample from any transmission they overlap.
                retransmission = true
                for index in sides[own].outstanding.indices
                where Self.greater(end, sides[own].outstanding[index].start)
                    && Self.greater(sides[own].outstanding[index].end, sequence)
                {
                    sides[own].outstanding[index].retransmitted = true
                }
                sides[own].retransmittedBytes += length
            } else {
                sides[own].newBytes += length
            }
            // Like tshark's unacked list, bounded: a capture of one direction only never sees
            // the ACKs that would empty it.
            if sides[own].outstanding.count >= Self.outstandingLimit {
                sides[own].outstanding.removeFirst(Self.outstandingLimit / 8)
            }
            sides[own].outstanding.append(
                Transmission(
                    start: sequence, end: end, time: time, frame: frame, retransmitted: retransmission,
                    carriesData: length > 0))
            if sides[own].highestSent.map({ Self.greater(end, $0) }) ?? true { sides[own].highestSent = end }
            if length > 0 && sides[own].firstData == nil {
                sides[own].firstData = sequence
                sides[own].firstDataTime = time
            }
            let dataEnd = sequence &+ UInt32(truncatingIfNeeded: length) &+ (segment.isSYN ? 1 : 0)
            if length > 0 && sides[own].dataEnd.map({ Self.greater(dataEnd, $0) }) ?? true {
                sides[own].dataEnd = dataEnd
            }
        }

        var acknowledgment: UInt32?
        if segment.isACK {
            let ack = segment.acknowledgment &- sides[peer].base!
            acknowledgment = ack
            acknowledge(ack, of: peer, frame: frame, time: time)
        }

        let shift = segment.isSYN ? 0 : scale(own) ?? 0
        let window = Int(segment.window) << shift
        if !segment.isRST { sides[own].smallestWindow = min(sides[own].smallestWindow ?? window, window) }
        var inFlight: Int?
        if length > 0, let highest = sides[own].highestSent {
            let acked = sides[own].highestAcked ?? sequence
            inFlight = max(0, Int(Int32(bitPattern: highest &- acked)))
        }
        let peerBase = sides[peer].base ?? 0
        segments.append(
            Segment(
                frame: frame, time: time, fromClient: own == 0, sequence: sequence, length: length,
                isSYN: segment.isSYN, isFIN: segment.isFIN, isRST: segment.isRST, acknowledgment: acknowledgment,
                window: window,
                sack: segment.sackBlocks.map { SACKBlock(left: $0.left &- peerBase, right: $0.right &- peerBase) },
                flags: observation.flags, bytesInFlight: inFlight, summary: summary,
                isRetransmission: retransmission))
    }

    /// An ACK from the peer of `side`: the transmission it ends exactly gives a SampleRTT (as
    /// tshark's ack_rtt, unless retransmitted); everything it covers is done.
    private mutating func acknowledge(_ ack: UInt32, of side: Int, frame: Int, time: Double) {
        let previous = sides[side].highestAcked
        if let previous, !Self.greater(ack, previous) { return }
        sides[side].highestAcked = ack
        // The throughput's clock stops at the ACK that reaches the last data byte (not the FIN's).
        if let end = sides[side].dataEnd, previous.map({ Self.greater(end, $0) }) ?? true {
            sides[side].lastAckTime = time
        }
        // The latest transmission ending there (a retransmission makes it unusable: Karn).
        // Data segments only (a SampleRTT times data, Kurose-Ross and RFC 6298 §3 alike): an
        // ACK of a bare SYN or FIN gives none, where tshark times some of them.
        if let match = sides[side].outstanding.last(where: { $0.end == ack }), !match.retransmitted,
            match.carriesData,
            !sides[side].outstanding.contains(where: { $0.end == ack && $0.retransmitted })
        {
            let sample = time - match.time
            sides[side].estimator.add(sample)
            let estimator = sides[side].estimator
            samples.append(
                RTTSample(
                    ackFrame: frame, segmentFrame: match.frame, time: time, fromClient: side == 0, sample: sample,
                    estimated: estimator.smoothed ?? sample, deviation: estimator.variation,
                    timeout: estimator.timeout ?? Estimator.minimumTimeout))
        }
        sides[side].outstanding.removeAll { !Self.greater($0.end, ack) }
    }

    // MARK: - Summaries

    /// The direction that carried more new data (the one a time-sequence graph shows).
    public var mainDirectionIsClient: Bool { sides[0].newBytes >= sides[1].newBytes }

    public struct Summary: Sendable {
        public var fromClient: Bool
        public var newBytes: Int
        public var retransmittedBytes: Int
        public var segments: Int
        public var retransmissions: Int
        /// Data bytes the peer acknowledged over the time from the first data segment to the
        /// ACK that reached the last data byte (nil when nothing was acknowledged).
        public var throughput: Double?
        public var acknowledgedBytes: Int
        public var duration: Double
        public var samples: Int
        public var estimator: Estimator
        /// The smallest window the receiving side (the peer) advertised, scaled.
        public var smallestPeerWindow: Int?
        public var largestSegment: Int
    }

    public func summary(fromClient: Bool) -> Summary {
        let side = sides[fromClient ? 0 : 1], peer = sides[fromClient ? 1 : 0]
        let data = segments.filter { $0.fromClient == fromClient && $0.length > 0 }
        var acknowledged = 0, duration = 0.0, throughput: Double?
        if let first = side.firstData, let acked = side.highestAcked, let start = side.firstDataTime,
            let last = side.lastAckTime, let end = side.dataEnd
        {
            let covered = Self.greater(acked, end) ? end : acked
            acknowledged = max(0, Int(Int32(bitPattern: covered &- first)))
            duration = last - start
            if duration > 0 && acknowledged > 0 { throughput = Double(acknowledged) / duration }
        }
        return Summary(
            fromClient: fromClient, newBytes: side.newBytes, retransmittedBytes: side.retransmittedBytes,
            segments: data.count, retransmissions: data.filter(\.isRetransmission).count, throughput: throughput,
            acknowledgedBytes: acknowledged, duration: duration,
            samples: samples.filter { $0.fromClient == fromClient }.count, estimator: side.estimator,
            smallestPeerWindow: peer.smallestWindow, largestSegment: data.map(\.length).max() ?? 0)
    }

    /// New data bytes per second in `bins` equal intervals over the stream's time (tcptrace's
    /// throughput graph): (interval start, bytes per second).
    public func throughput(fromClient: Bool, bins: Int) -> [(time: Double, rate: Double)] {
        let duration = segments.map(\.time).max() ?? 0
        guard bins > 0, duration > 0 else { return [] }
        let width = duration / Double(bins)
        var bytes = [Int](repeating: 0, count: bins)
        for segment in segments
        where segment.fromClient == fromClient && segment.length > 0 && !segment.isRetransmission {
            bytes[SVGPlot.bucket(segment.time / width, count: bins)] += segment.length
        }
        return bytes.enumerated().map { (Double($0.offset) * width, Double($0.element) / width) }
    }
}
