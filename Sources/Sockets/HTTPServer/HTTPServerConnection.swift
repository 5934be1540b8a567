import Inspect

/// Limits and timeouts every server model enforces, with their defaults.
public struct ServerLimits: Sendable {
    /// Request line (414), header section and field count (431), body (413).
    public var parser: HTTPParser.Limits
    /// Seconds a client has from the first byte of a request to its last (slowloris).
    public var requestTimeout = 10.0
    /// Seconds a kept-alive connection may sit idle between requests.
    public var idleTimeout = 15.0
    /// Seconds a send may wait for a client that does not read.
    public var sendTimeout = 30.0
    /// Connections served at once; more are answered 503 and closed.
    public var maxConnections = 1024
    /// Responses one connection may have queued (pipelining) before the server stops reading it.
    public var maxQueuedResponses = 16

    public init() {
        parser = HTTPParser.Limits()
        parser.startLine = 8 * 1024
        parser.fieldBytes = 32 * 1024
        parser.fieldCount = 100
        parser.bodyBytes = 1 << 20
    }
}

/// One HTTP/1.x connection as a server sees it, without any I/O: bytes in, responses out.
/// Every server model (serial, fork, threads, events) drives the same machine, so they answer
/// the same requests the same way. It parses with Inspect's HTTPParser in strict mode, checks
/// what the parser leaves to the server (version, Host), asks `StaticFiles` for the answer, and
/// decides whether the connection stays open (RFC 9112 §9).
public struct HTTPServerConnection {
    private var parser: HTTPParser
    private let files: StaticFiles
    private let cache: FileCache?
    private var current: HTTPHead?
    private var refused: HTTPServerResponse?
    /// The request body, kept only for the demo endpoints (the parser bounds it: 413 beyond).
    private var body: [UInt8] = []
    private let limits: ServerLimits
    /// No more requests will be read: the last response closes the connection.
    public private(set) var closing = false
    /// The connection is closing after an error response (4xx, 5xx): the peer may still be
    /// sending, so the driver should close gently (see `Socket.lingeringClose`).
    public private(set) var endedWithError = false
    public private(set) var requestsCompleted = 0
    /// When the connection last became idle, and when the request in progress began.
    private var idleSince: Double
    private var requestStart: Double?

    public init(files: StaticFiles, limits: ServerLimits, cache: FileCache? = nil, now: Double = Clock.now) {
        parser = HTTPParser(kind: .request, lenient: false, limits: limits.parser)
        self.files = files
        self.cache = cache
        self.limits = limits
        idleSince = now
    }

    /// When to give up waiting for the client: the idle timeout between requests, the request
    /// timeout (from its first byte, however slowly the rest trickles in) within one.
    public var deadline: Double {
        isIdle ? idleSince + limits.idleTimeout : (requestStart ?? idleSince) + limits.requestTimeout
    }

    /// True between requests (an idle keep-alive connection), false once a request has begun.
    public var isIdle: Bool { current == nil && !parser.isInsideMessage }

    /// Feeds received bytes; returns the responses they complete, in order. Interim responses
    /// (100 Continue) have `isInterim` set.
    public mutating func receive(_ bytes: some Collection<UInt8>, now: Double = Clock.now) -> [HTTPServerResponse] {
        let responses = parse(bytes)
        if isIdle {
            idleSince = now
            requestStart = nil
        } else if requestStart == nil || !responses.isEmpty {
            requestStart = now  // a request began in these bytes
        }
        return responses
    }

    private mutating func parse(_ bytes: some Collection<UInt8>) -> [HTTPServerResponse] {
        guard !closing else { return [] }
        var responses: [HTTPServerResponse] = []
        for event in parser.parse(bytes) {
            guard !closing else { break }
            switch event {
            case .head(let head):
                current = head
                refused = check(head)
                if refused == nil, head.has("Expect"),
                    head.values("Expect").contains(where: { $0.lowercased() == "100-continue" }),
                    head.version == .http11
                {
                    responses.append(.continue)
                }
            case .body(let bytes):
                if files.demoEndpoints { body += bytes }
            case .tunnel:
                break
            case .end(_, let keepAlive):
                responses.append(finish(keepAlive: keepAlive))
            case .upgrade:
                // Upgrades and CONNECT are not offered: answer the request, then close.
                responses.append(finish(keepAlive: false))
            case .failed(let error):
                responses.append(failed(error))
            }
        }
        return responses
    }

    /// The client closed its side. A request cut off in the middle gets no answer.
    public mutating func receiveEnd() {
        closing = true
    }

    /// The request or idle timeout passed: 408 when a request had begun, nothing when idle.
    public mutating func timedOut() -> HTTPServerResponse? {
        closing = true
        guard !isIdle else { return nil }
        endedWithError = true
        var response = HTTPServerResponse.page(408, "The request took too long to arrive.", close: true)
        response.request = current
        return response
    }

    /// What the parser leaves to the server (RFC 9112 §2.3, §3.2).
    private func check(_ head: HTTPHead) -> HTTPServerResponse? {
        guard head.version.protocolName == "HTTP", head.version.major == 1 else {
            return .page(505, "This server speaks HTTP/1.0 and HTTP/1.1.", close: true)
        }
        var hosts = 0
        for field in head.fields where field.name.utf8.count == 4 && field.name.lowercased() == "host" { hosts += 1 }
        if head.version.minor >= 1 && hosts == 0 {
            return .page(400, "HTTP/1.1 requests must have a Host header.", close: true)
        }
        if hosts > 1 { return .page(400, "More than one Host header.", close: true) }
        return nil
    }

    private mutating func finish(keepAlive: Bool) -> HTTPServerResponse {
        guard let head = current else { return failed(nil) }
        var response =
            refused ?? (files.demoEndpoints ? DemoEndpoints.respond(to: head, body: body) : nil)
            ?? files.respond(to: head, cache: cache)
        body = []
        if head.method == "HEAD" { response.body = .none }
        response.request = head
        response.close = response.close || !keepAlive
        if response.close {
            closing = true
            endedWithError = response.status >= 400
        } else if head.version.minor == 0 {
            // An HTTP/1.0 client asked to keep the connection: say that we do.
            response.fields.append(("Connection", "keep-alive"))
        }
        current = nil
        refused = nil
        requestsCompleted += 1
        return response
    }

    private mutating func failed(_ error: HTTPParseError?) -> HTTPServerResponse {
        closing = true
        endedWithError = true
        let status: Int
        let message: String
        if let error {
            status = error.kind == .badMethod ? 400 : error.status
            message = "The request could not be read: \(error.reason)."
        } else {
            (status, message) = (400, "Malformed request.")
        }
        var response = HTTPServerResponse.page(status, message, close: true)
        response.request = current
        current = nil
        return response
    }
}

extension HTTPServerResponse {
    /// `HTTP/1.1 100 Continue`: send the body (RFC 9110 §10.1.1).
    static var `continue`: HTTPServerResponse {
        var response = HTTPServerResponse(status: 100)
        response.isInterim = true
        return response
    }
}
