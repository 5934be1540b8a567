/// Finds HTTP/1.x in the two byte streams of one TCP connection by content (not by port) and
/// parses it: a side whose first bytes look like a request line gets a request parser, a side
/// whose first bytes are `HTTP/1.` gets a response parser, and requests tell the response
/// parser which methods to expect (HEAD and CONNECT change response framing).
public struct HTTPConversation {
    /// One HTTP message as seen in a capture.
    public struct Message: Sendable {
        public var stream: Int
        public var role: TCPRole
        public var head: HTTPHead
        public var bodyBytes = 0
        public var firstFrame: Int
        public var lastFrame: Int
        public var complete = false
        public var error: HTTPParseError?
    }

    enum Side {
        case undecided([UInt8])
        case http(HTTPParser)
        case other
    }

    static let methods: [String] = [
        "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PROPFIND", "MKCOL",
    ]

    public let stream: Int
    private var sides: [Side] = [.undecided([]), .undecided([])]
    private var open: [Message?] = [nil, nil]
    private var messageStart: [Int?] = [nil, nil]
    private var pendingMethods: [String] = []

    public init(stream: Int) { self.stream = stream }

    /// What the first bytes of a stream say: a request, a response, not HTTP, or not enough yet.
    static func classify(_ bytes: [UInt8]) -> HTTPParser.Kind?? {
        let text = String(decoding: bytes.prefix(16), as: UTF8.self)
        if text.hasPrefix("HTTP/1.") { return .some(.response) }
        if "HTTP/1.".hasPrefix(text) { return .none }
        for method in methods {
            if text.hasPrefix(method + " ") { return .some(.request) }
            if (method + " ").hasPrefix(text) { return .none }
        }
        return .some(nil)
    }

    /// Feeds in-order bytes of one direction; returns messages that completed or failed.
    public mutating func add(_ bytes: [UInt8], role: TCPRole, frame: Int) -> [Message] {
        let side = role == .client ? 0 : 1
        var parser: HTTPParser
        switch sides[side] {
        case .other:
            return []
        case .undecided(let seen):
            let start = seen + bytes
            switch Self.classify(start) {
            case .none:
                sides[side] = .undecided(start)
                return []
            case .some(nil):
                sides[side] = .other
                return []
            case .some(.some(let kind)):
                parser = HTTPParser(kind: kind, lenient: true)
                if kind == .response { for method in pendingMethods { parser.expectResponse(to: method) } }
                pendingMethods = []
                sides[side] = .http(parser)
                return feed(start, side: side, role: role, frame: frame)
            }
        case .http:
            return feed(bytes, side: side, role: role, frame: frame)
        }
    }

    private mutating func feed(_ bytes: [UInt8], side: Int, role: TCPRole, frame: Int) -> [Message] {
        guard case .http(var parser) = sides[side] else { return [] }
        if !parser.isInsideMessage && messageStart[side] == nil { messageStart[side] = frame }
        let events = parser.parse(bytes)
        sides[side] = .http(parser)
        return apply(events, side: side, role: role, frame: frame)
    }

    private mutating func apply(_ events: [HTTPEvent], side: Int, role: TCPRole, frame: Int) -> [Message] {
        var finished: [Message] = []
        for event in events {
            switch event {
            case .head(let head):
                open[side] = Message(
                    stream: stream, role: role, head: head, firstFrame: messageStart[side] ?? frame, lastFrame: frame)
                if let method = head.method { expectResponse(to: method) }
            case .body(let bytes):
                open[side]?.bodyBytes += bytes.count
                open[side]?.lastFrame = frame
            case .end, .upgrade:
                if var message = open[side] {
                    message.complete = true
                    message.lastFrame = frame
                    finished.append(message)
                }
                open[side] = nil
                messageStart[side] = nil
            case .tunnel:
                break
            case .failed(let error):
                if var message = open[side] {
                    message.error = error
                    message.lastFrame = frame
                    finished.append(message)
                }
                open[side] = nil
            }
        }
        return finished
    }

    private mutating func expectResponse(to method: String) {
        if case .http(var parser) = sides[1], parser.kind == .response {
            parser.expectResponse(to: method)
            sides[1] = .http(parser)
        } else if case .http(var parser) = sides[0], parser.kind == .response {
            parser.expectResponse(to: method)
            sides[0] = .http(parser)
        } else {
            pendingMethods.append(method)
        }
    }

    /// The capture ended: close-delimited bodies complete, cut-off messages are reported.
    public mutating func finish(frame: Int) -> [Message] {
        var finished: [Message] = []
        for side in 0..<2 {
            guard case .http(var parser) = sides[side] else { continue }
            let events = parser.finish()
            sides[side] = .http(parser)
            finished += apply(events, side: side, role: side == 0 ? .client : .server, frame: frame)
            if let message = open[side] {
                finished.append(message)  // incomplete: the capture ended inside it
                open[side] = nil
            }
        }
        return finished
    }
}
