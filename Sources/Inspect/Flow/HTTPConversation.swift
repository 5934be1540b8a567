/// Finds HTTP/1.x in the two byte streams of one TCP connection by content (not by port) and
/// parses it leniently: a side that starts like a request line gets a request parser, a side
/// that starts with `HTTP/` a response parser (`HTTPStart` says exactly what counts), and
/// requests tell the response parser which methods to expect (HEAD and CONNECT change
/// response framing). When the bytes break HTTP, the broken message is reported as malformed,
/// with the frame and stream offset where it broke, also when no head was ever complete.
public struct HTTPConversation {
    /// One HTTP message as seen in a capture.
    public struct Message: Sendable {
        public var stream: Int
        public var role: TCPRole
        public var kind: HTTPParser.Kind
        /// The request or status line and fields; nil when the start line itself broke. For a
        /// message that broke inside its head: what was read before the error.
        public var head: HTTPHead?
        public var bodyBytes = 0
        public var firstFrame: Int
        public var lastFrame: Int
        public var complete = false
        /// Why the bytes broke HTTP/1.x (the message is malformed; nothing after it is parsed).
        public var error: HTTPParseError?
        /// The frame that carried the byte at `error.offset`.
        public var errorFrame: Int?
        /// What a strict recipient would refuse, with the frame that carried it.
        public var warnings: [Warning] = []

        public var isMalformed: Bool { error != nil }
    }

    public struct Warning: Sendable, Equatable {
        public var warning: HTTPWarning
        public var frame: Int
    }

    enum Side {
        case undecided([UInt8])
        /// Read by the parser in `parsers` at the same index.
        case http
        case other
        /// The parser failed: the rest of this direction is not read.
        case broken
    }

    public let stream: Int
    private var sides: [Side] = [.undecided([]), .undecided([])]
    /// Each side's parser, only ever used through `parsers[side]!` so it changes in place:
    /// reading it into a local would copy it, and its buffers would be copied on the next append.
    private var parsers: [HTTPParser?] = [nil, nil]
    /// Each side's parser kind, kept apart so asking it copies nothing.
    private var kinds: [HTTPParser.Kind?] = [nil, nil]
    private var open: [Message?] = [nil, nil]
    private var messageStart: [Int?] = [nil, nil]
    private var pendingMethods: [String] = []
    /// Per side: heads reported so far (the index `HTTPWarning.message` counts).
    private var heads = [0, 0]
    private var queuedWarnings: [[Warning]] = [[], []]
    /// Per side: bytes given to the parser, and where recent frames' bytes end in the stream,
    /// to name the frame of an error or warning offset.
    private var fed = [0, 0]
    private var frameEnds: [[(end: Int, frame: Int)]] = [[], []]

    public init(stream: Int) { self.stream = stream }

    /// Feeds in-order bytes of one direction; returns messages that completed or failed.
    public mutating func add(_ bytes: [UInt8], role: TCPRole, frame: Int) -> [Message] {
        let side = role == .client ? 0 : 1
        switch sides[side] {
        case .other, .broken:
            return []
        case .undecided(let seen):
            let start = seen + bytes
            switch HTTPStart.classify(start) {
            case .undecided:
                sides[side] = .undecided(start)
                // The first frame of the stream starts the first message.
                if messageStart[side] == nil { messageStart[side] = frame }
                return []
            case .notHTTP:
                sides[side] = .other
                return []
            case .http(let kind):
                var parser = HTTPParser(kind: kind, lenient: true)
                if kind == .response { for method in pendingMethods { parser.expectResponse(to: method) } }
                pendingMethods = []
                sides[side] = .http
                parsers[side] = parser
                kinds[side] = kind
                if messageStart[side] == nil { messageStart[side] = frame }
                return feed(start, side: side, role: role, frame: frame)
            }
        case .http:
            return feed(bytes, side: side, role: role, frame: frame)
        }
    }

    private mutating func feed(_ bytes: [UInt8], side: Int, role: TCPRole, frame: Int) -> [Message] {
        guard case .http = sides[side] else { return [] }
        func parse(_ parser: inout HTTPParser) -> (wasInside: Bool, events: [HTTPEvent], [HTTPWarning], keepFrom: Int) {
            let wasInside = parser.isInsideMessage
            let events = parser.parse(bytes)
            // Offsets reported later are within the longest head or line the parser holds.
            let keepFrom = parser.streamOffset - parser.limits.startLine - parser.limits.fieldBytes
            return (wasInside, events, parser.takeWarnings(), keepFrom)
        }
        let (wasInside, events, warnings, keepFrom) = parse(&parsers[side]!)
        if !wasInside && messageStart[side] == nil { messageStart[side] = frame }
        fed[side] += bytes.count
        frameEnds[side].append((fed[side], frame))
        for warning in warnings {
            queuedWarnings[side].append(Warning(warning: warning, frame: self.frame(at: warning.offset, side: side)))
        }
        let messages = apply(events, side: side, role: role, frame: frame)
        if let first = frameEnds[side].firstIndex(where: { $0.end > keepFrom }), first > 64 {
            frameEnds[side].removeFirst(first)
        }
        return messages
    }

    /// The frame that carried the byte at this stream offset.
    private func frame(at offset: Int, side: Int) -> Int {
        frameEnds[side].first { $0.end > offset }?.frame ?? frameEnds[side].last?.frame ?? 0
    }

    private mutating func apply(
        _ events: [HTTPEvent], side: Int, role: TCPRole, frame: Int
    ) -> [Message] {
        let kind = kinds[side] ?? (role == .client ? .request : .response)
        var finished: [Message] = []
        for event in events {
            switch event {
            case .head(let head):
                var message = Message(
                    stream: stream, role: role, kind: kind, head: head,
                    firstFrame: messageStart[side] ?? frame, lastFrame: frame)
                message.warnings = takeWarnings(side: side, message: heads[side])
                heads[side] += 1
                open[side] = message
                if let method = head.method { expectResponse(to: method) }
            case .body(let bytes):
                open[side]?.bodyBytes += bytes.count
                open[side]?.lastFrame = frame
            case .end, .upgrade:
                if var message = open[side] {
                    message.complete = true
                    message.lastFrame = frame
                    message.warnings += takeWarnings(side: side, message: heads[side] - 1)
                    finished.append(message)
                }
                open[side] = nil
                messageStart[side] = nil
            case .tunnel:
                break
            case .failed(let error):
                var message =
                    open[side]
                    ?? Message(
                        stream: stream, role: role, kind: kind, head: parsers[side]?.partialHead,
                        firstFrame: messageStart[side] ?? frame, lastFrame: frame)
                let index = open[side] == nil ? heads[side] : heads[side] - 1
                message.warnings += takeWarnings(side: side, message: index)
                message.error = error
                message.errorFrame = self.frame(at: error.offset, side: side)
                message.lastFrame = frame
                finished.append(message)
                open[side] = nil
                sides[side] = .broken
                parsers[side] = nil
                return finished
            }
        }
        if open[side] != nil { open[side]!.warnings += takeWarnings(side: side, message: heads[side] - 1) }
        return finished
    }

    /// Queued warnings of message `index`; older ones (of messages already reported) are dropped.
    private mutating func takeWarnings(side: Int, message index: Int) -> [Warning] {
        if queuedWarnings[side].isEmpty { return [] }
        let taken = queuedWarnings[side].filter { $0.warning.message == index }
        queuedWarnings[side].removeAll { $0.warning.message <= index }
        return taken
    }

    private mutating func expectResponse(to method: String) {
        if kinds[1] == .response, case .http = sides[1] {
            parsers[1]!.expectResponse(to: method)
        } else if kinds[0] == .response, case .http = sides[0] {
            parsers[0]!.expectResponse(to: method)
        } else {
            pendingMethods.append(method)
        }
    }

    /// The capture ended: close-delimited bodies complete, cut-off messages are reported.
    public mutating func finish(frame: Int) -> [Message] {
        var finished: [Message] = []
        for side in 0..<2 {
            guard case .http = sides[side] else { continue }
            let events = parsers[side]!.finish()
            finished += apply(events, side: side, role: side == 0 ? .client : .server, frame: frame)
            if let message = open[side] {
                finished.append(message)  // incomplete: the capture ended inside it
                open[side] = nil
            }
        }
        return finished
    }
}
