/// Everything netlab learns from a capture beyond single packets: TCP connections (states,
/// analysis flags, reassembled streams) and the HTTP messages inside them. Feed frames in
/// order; read results from the return values and the public properties.
public struct CaptureAnalyzer {
    public var tracker: TCPTracker
    /// IP fragments waiting for the rest of their datagram.
    private var fragments = IPReassembler()
    private var http: [Int: HTTPConversation] = [:]
    /// Streams whose reassembled bytes are kept for `followed(stream:)` (memory: only these).
    public var followStreams: Set<Int>
    public private(set) var followed: [Int: [(role: TCPRole, chunk: StreamReassembler.Chunk)]] = [:]
    /// The first frame's time, in microseconds since 1970; frame times given to the tracker
    /// are seconds since this moment (small numbers keep microsecond precision).
    public private(set) var firstMicroseconds: Int64?
    public private(set) var frames = 0
    /// Requests by method and responses by status, over the whole capture.
    public private(set) var httpCounts = HTTPCounts()

    public struct FrameResult {
        public var segment: TCPSegment?
        public var observation: TCPTracker.Observation?
        public var httpMessages: [HTTPConversation.Message] = []
        public init(segment: TCPSegment? = nil, observation: TCPTracker.Observation? = nil) {
            self.segment = segment
            self.observation = observation
        }
    }

    public init(limits: TCPTracker.Limits = .init(), followStreams: Set<Int> = []) {
        tracker = TCPTracker(limits: limits)
        self.followStreams = followStreams
    }

    public mutating func add(
        _ frame: ByteView, linkType: LinkType, wireLength: Int, seconds: Int64, microseconds: Int
    ) -> FrameResult {
        frames += 1
        let micros = seconds * 1_000_000 + Int64(microseconds)
        if firstMicroseconds == nil { firstMicroseconds = micros }
        // As Wireshark's nstime_to_sec: whole seconds plus nanoseconds, so durations computed
        // from these doubles round the way tshark's do.
        let relative = micros - firstMicroseconds!
        var whole = relative / 1_000_000, fraction = relative % 1_000_000
        if fraction < 0 {
            whole -= 1
            fraction += 1_000_000
        }
        let time = Double(whole) + Double(fraction * 1000) / 1_000_000_000
        guard
            let segment = Self.segment(
                frame, linkType: linkType, wireLength: wireLength, reassembler: &fragments, frame: frames)
        else { return FrameResult() }
        let observation = tracker.process(segment, frame: frames, time: time, wireLength: wireLength)
        let stream = observation.stream
        let isOver = tracker.connections[stream].isOver
        if observation.delivered.isEmpty && !isOver {
            // Most segments carry no new in-order bytes (ACKs, holes): the parsers wait as they are.
            if http[stream] == nil { http[stream] = HTTPConversation(stream: stream) }
            return FrameResult(segment: segment, observation: observation)
        }
        // Taken out of the table, not copied: the parsers' buffers are then uniquely referenced
        // and change in place.
        var conversation = http.removeValue(forKey: stream) ?? HTTPConversation(stream: stream)
        var messages = deliver(observation.delivered, role: observation.role, to: &conversation)
        if isOver {
            // The connection is over: what waits behind a hole comes out, close-delimited bodies
            // end here, and its parsers go.
            messages += close(stream, conversation: &conversation)
        } else {
            http[stream] = conversation
        }
        for message in messages { httpCounts.add(message) }
        var result = FrameResult(segment: segment, observation: observation)
        result.httpMessages = messages
        return result
    }

    /// The capture ended: flush reassembly and finish HTTP messages.
    public mutating func finish() -> [HTTPConversation.Message] {
        var finished: [HTTPConversation.Message] = []
        for stream in http.keys.sorted() {
            var conversation = http[stream]!
            finished += close(stream, conversation: &conversation)
        }
        http = [:]
        for message in finished { httpCounts.add(message) }
        return finished
    }

    /// The frame's TCP segment: its own, or the one its IP fragment completed.
    static func segment(
        _ bytes: ByteView, linkType: LinkType, wireLength: Int, reassembler: inout IPReassembler, frame: Int
    ) -> TCPSegment? {
        guard let ip = IPPacket.decode(bytes, linkType: linkType, wireLength: wireLength), ip.proto == IPProtocol.tcp
        else { return nil }
        guard ip.isFragment else { return TCPSegment.parse(ip) }
        guard let whole = reassembler.add(ip, frame: frame) else { return nil }
        return whole.withUnsafeBytes { raw in
            var datagram = ip
            datagram.transport = ByteView(raw)
            datagram.transportLength = whole.count
            return TCPSegment.parse(datagram)
        }
    }

    /// In-order bytes of one direction: kept for `follow`, and given to the HTTP parser.
    private mutating func deliver(
        _ chunks: [StreamReassembler.Chunk], role: TCPRole, to conversation: inout HTTPConversation
    ) -> [HTTPConversation.Message] {
        let stream = conversation.stream
        if followStreams.contains(stream) {
            for chunk in chunks { followed[stream, default: []].append((role, chunk)) }
        }
        var messages: [HTTPConversation.Message] = []
        for chunk in chunks {
            if case .data(let bytes) = chunk { messages += conversation.add(bytes, role: role, frame: frames) }
        }
        return messages
    }

    /// Both directions' waiting bytes (after their gaps), then the end of the HTTP stream.
    private mutating func close(_ stream: Int, conversation: inout HTTPConversation) -> [HTTPConversation.Message] {
        var messages: [HTTPConversation.Message] = []
        for role in [TCPRole.client, .server] {
            messages += deliver(tracker.flush(stream: stream, role: role), role: role, to: &conversation)
        }
        return messages + conversation.finish(frame: frames)
    }
}

/// HTTP message counts (the numbers of tshark's `-z http,tree`).
public struct HTTPCounts: Sendable {
    public private(set) var methods: [String: Int] = [:]
    public private(set) var statuses: [Int: (reason: String, count: Int)] = [:]
    public var requests: Int { methods.values.reduce(0, +) }
    public var responses: Int { statuses.values.reduce(0) { $0 + $1.count } }

    /// Malformed messages by the rule they broke, and warnings by rule.
    public private(set) var malformed: [String: Int] = [:]
    public private(set) var warnings: [String: Int] = [:]

    mutating func add(_ message: HTTPConversation.Message) {
        for item in message.warnings { warnings[item.warning.rule + " " + item.warning.kind.name, default: 0] += 1 }
        if let error = message.error {
            malformed[error.rule + " " + error.kind.name, default: 0] += 1
            return
        }
        switch message.head?.startLine {
        case .request(let method, _): methods[method, default: 0] += 1
        case .response(let status, let reason):
            statuses[status] = (statuses[status]?.reason ?? reason, (statuses[status]?.count ?? 0) + 1)
        case nil: break
        }
    }
}
