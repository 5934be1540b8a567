import Inspect
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

/// One response as the probe read it (lenient parser, so a flawed response is still read and the
/// flaw judged by the check that is about it).
struct ProbeResponse {
    enum Framing: Equatable {
        case contentLength, chunked
        /// The body ran to the server's close (legal, but the connection cannot be reused).
        case close
        /// No length and the connection stayed open: the probe took the body to end after a silence.
        case silence
        /// No body by definition (HEAD, 1xx, 204, 304).
        case none
    }
    var head: HTTPHead
    var body: [UInt8]
    var framing: Framing
    var status: Int { head.status ?? 0 }
}

/// What a read ended with.
enum ReadOutcome {
    case response(ProbeResponse)
    /// The server closed before a response began (or mid-way: `partial`).
    case closed(partial: Bool)
    case reset
    case timedOut(partial: Bool)
    case broken(HTTPParseError)

    var response: ProbeResponse? {
        if case .response(let response) = self { return response }
        return nil
    }

    /// In words, for a check's "observed".
    var summary: String {
        switch self {
        case .response(let response):
            "\(response.head.version) \(response.status) \(response.head.reason ?? "")"
        case .closed(let partial):
            partial ? "the server closed in the middle of a response" : "the server closed without answering"
        case .reset: "the connection was reset (RST) without an answer"
        case .timedOut(let partial): partial ? "a response began but did not complete in time" : "no answer in time"
        case .broken(let error): "an unreadable response: \(error.reason)"
        }
    }
}

/// A client connection that keeps every byte it sent and received, for the report's evidence.
final class ProbeConnection {
    let socket: Socket
    let label: String
    private(set) var sent: [UInt8] = []
    private(set) var received: [UInt8] = []
    private(set) var sawEnd = false
    private(set) var sawReset = false
    let localPort: UInt16
    /// Bytes received but not yet given to a parser (a silence-ended body's tail, the next response).
    private var unparsed: [UInt8] = []
    private var parser = HTTPParser(kind: .response, lenient: true)
    /// Parser events not yet consumed: the start of the next response, read with this one.
    private var queued: [HTTPEvent] = []
    /// Quiet time after which a body without a length counts as complete.
    static let silence = 0.5

    init(_ target: HTTPURL, label: String, timeout: Double) throws(SocketError) {
        socket = try Socket.connect(host: target.host, port: target.port, timeout: timeout)
        socket.setNoDelay()
        self.label = label
        localPort = socket.localPort
    }

    /// Sends bytes; `methods` are the requests among them, in order (the parser must know which
    /// response answers a HEAD before it arrives, even when it arrives with the one before).
    func send(_ bytes: [UInt8], expecting methods: [String] = ["GET"]) -> Bool {
        for method in methods { parser.expectResponse(to: method) }
        sent += bytes
        do {
            try socket.sendAll(bytes)
            return true
        } catch {
            if error.code == ECONNRESET { sawReset = true }
            return false
        }
    }

    /// One byte per send(2) with a pause between (TCP_NODELAY is on: one segment each).
    func sendSlowly(_ bytes: [UInt8], pause: Double, expecting methods: [String] = ["GET"]) -> Bool {
        for method in methods { parser.expectResponse(to: method) }
        for byte in bytes {
            guard send([byte], expecting: []) else { return false }
            sleep(seconds: pause)
        }
        return true
    }

    /// Reads one response to `method` (sent with `send(_:expecting:)`), until `deadline` (monotonic seconds). A body without a
    /// length on a connection that stays open counts as complete after `silence` seconds of quiet.
    func readResponse(to method: String, deadline: Double, silence: Double = ProbeConnection.silence) -> ReadOutcome {
        var head: HTTPHead?
        var body: [UInt8] = []
        var unframed = false
        var pending = unparsed
        unparsed = []
        while true {
            if !pending.isEmpty {
                queued += parser.parse(pending)
                pending = []
            }
            // Events left from an earlier read (two responses in one segment) come first.
            while !queued.isEmpty {
                let event = queued.removeFirst()
                switch event {
                case .head(let received):
                    head = received
                    body = []
                    unframed = Self.isUnframed(received, method: method)
                case .body(let bytes): body += bytes
                case .end:
                    if let done = head, let status = done.status, status >= 200 {
                        return .response(ProbeResponse(head: done, body: body, framing: Self.framing(done, method)))
                    }
                case .upgrade, .tunnel: break
                case .failed(let error): return .broken(error)
                }
            }
            let wait = unframed && head != nil ? min(silence, deadline - Clock.now) : deadline - Clock.now
            guard wait > 0, (try? socket.wait(for: .readable, timeout: wait)) == true else {
                if unframed, let head {
                    // No length and no close: a keep-alive client cannot tell where this body ends.
                    parser = HTTPParser(kind: .response, lenient: true)
                    return .response(ProbeResponse(head: head, body: body, framing: .silence))
                }
                return .timedOut(partial: head != nil || parser.isInsideMessage)
            }
            let chunk: [UInt8]
            do {
                chunk = try socket.receive()
            } catch {
                sawReset = true
                return head != nil || parser.isInsideMessage ? .closed(partial: true) : .reset
            }
            if chunk.isEmpty {
                sawEnd = true
                for event in parser.finish() {
                    if case .end = event, let head {
                        return .response(ProbeResponse(head: head, body: body, framing: .close))
                    }
                }
                return .closed(partial: head != nil || parser.isInsideMessage)
            }
            received += chunk
            pending = chunk
        }
    }

    /// Waits until the server closes (or resets) the connection: true if it did before `deadline`.
    /// Bytes that arrive meanwhile are kept (the evidence shows them).
    func waitForClose(deadline: Double) -> Bool {
        if sawEnd || sawReset { return true }
        while Clock.now < deadline {
            guard (try? socket.wait(for: .readable, timeout: deadline - Clock.now)) == true else { return false }
            do {
                let chunk = try socket.receive()
                if chunk.isEmpty {
                    sawEnd = true
                    return true
                }
                received += chunk
                unparsed += chunk
            } catch {
                sawReset = true
                return true
            }
        }
        return false
    }

    /// Extra bytes within `seconds` (after a response that should have been the last thing sent).
    func extraBytes(within seconds: Double) -> [UInt8] {
        let before = received.count
        let deadline = Clock.now + seconds
        while Clock.now < deadline, !sawEnd, !sawReset {
            guard (try? socket.wait(for: .readable, timeout: deadline - Clock.now)) == true else { break }
            guard let chunk = try? socket.receive(), !chunk.isEmpty else {
                sawEnd = true
                break
            }
            received += chunk
            unparsed += chunk
        }
        return Array(received[before...])
    }

    /// Closes with SO_LINGER 0: the kernel sends RST instead of FIN.
    func reset() {
        var value = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket.descriptor, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
        socket.close()
    }

    func close() { socket.close() }

    var ending: String {
        if sawReset { return "reset" }
        if sawEnd { return "closed by the server" }
        return "no close seen while the probe read"
    }

    func exchange(_ label: String? = nil) -> ProbeExchange {
        ProbeExchange(label: label ?? self.label, sent: sent, received: received, ending: ending, localPort: localPort)
    }

    static func isUnframed(_ head: HTTPHead, method: String) -> Bool {
        framing(head, method) == .close
    }

    static func framing(_ head: HTTPHead, _ method: String) -> ProbeResponse.Framing {
        let status = head.status ?? 0
        if method == "HEAD" || status < 200 || status == 204 || status == 304 { return .none }
        if head.tokens("Transfer-Encoding").last == "chunked" { return .chunked }
        if head.has("Content-Length") { return .contentLength }
        return .close
    }
}

/// Whether `needle` occurs in `haystack` (a sentinel in a body, a body in a client's output).
func bytes(_ haystack: [UInt8], contain needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}

func sleep(seconds: Double) {
    var spec = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&spec, &remaining) != 0 && errno == EINTR { spec = remaining }
}
