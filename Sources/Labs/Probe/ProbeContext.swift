import Inspect
import Sockets

/// A check as declared: its fixed words, and the code that runs it against the server.
/// `Context` is what that code is given: `ProbeContext` (HTTP) or `StreamContext` (plain TCP).
struct DeclaredCheck<Context>: Sendable {
    var id: String
    var group: ProbeGroup
    var title: String
    var expected: String
    var why: String
    var required = true
    /// Checks that may bring a fragile server down run after all the others, so one crash
    /// is reported once, by the check that caused it, instead of failing everything after it.
    var destructive = false
    /// A check this one builds on: when that one did not pass, this one is skipped, so one flaw
    /// is reported once (chat framing cannot be judged when nothing reaches the others).
    var needs: String?
    var run: @Sendable (Context) -> ProbeOutcome
}

/// A check of an HTTP server.
typealias ProbeCheck = DeclaredCheck<ProbeContext>

/// What running a check found. `passed` nil: skipped (the reason in `observed`).
struct ProbeOutcome {
    var passed: Bool?
    var observed: String
    var exchanges: [ProbeExchange] = []

    static func pass(_ observed: String, _ exchanges: [ProbeExchange] = []) -> ProbeOutcome {
        ProbeOutcome(passed: true, observed: observed, exchanges: exchanges)
    }
    static func fail(_ observed: String, _ exchanges: [ProbeExchange] = []) -> ProbeOutcome {
        ProbeOutcome(passed: false, observed: observed, exchanges: exchanges)
    }
    static func skip(_ why: String) -> ProbeOutcome { ProbeOutcome(passed: nil, observed: why) }
}

/// What every check needs: where the server is, what it serves, how long to wait.
final class ProbeContext {
    let target: HTTPURL
    let timeout: Double
    let resources: ProbeResources
    /// The first line of the sentinel file (read locally) and its absolute path.
    let sentinel: (path: String, firstLine: String)?
    let parallelClients: Int

    init(
        target: HTTPURL, timeout: Double, resources: ProbeResources, sentinel: (String, String)?,
        parallelClients: Int
    ) {
        self.target = target
        self.timeout = timeout
        self.resources = resources
        self.sentinel = sentinel
        self.parallelClients = parallelClients
    }

    var deadline: Double { Clock.now + timeout }

    /// The small file the checks fetch (the directory index `/` when no file was found).
    var file: String { resources.file ?? "/" }

    /// A request with this start line and a Host header, plus `extra` fields, ending in CRLF CRLF.
    func request(
        _ method: String = "GET", _ path: String, version: String = "HTTP/1.1", host: Bool = true, extra: [String] = []
    ) -> [UInt8] {
        var text = "\(method) \(path) \(version)\r\n"
        if host { text += "Host: \(target.authority)\r\n" }
        text += "User-Agent: netlab-probe/0.1\r\n"
        for line in extra { text += line + "\r\n" }
        return Array((text + "\r\n").utf8)
    }

    func connect(_ label: String) -> ProbeConnection? {
        try? ProbeConnection(target, label: label, timeout: timeout)
    }

    /// Connects, sends `bytes`, reads one response: the outcome and the exchange.
    func exchange(_ label: String, _ bytes: [UInt8], method: String = "GET") -> (ReadOutcome, ProbeExchange) {
        guard let connection = connect(label) else {
            return (
                .closed(partial: false),
                ProbeExchange(label: label, sent: [], received: [], ending: "refused", localPort: 0)
            )
        }
        defer { connection.close() }
        _ = connection.send(bytes, expecting: [method])
        let outcome = connection.readResponse(to: method, deadline: deadline)
        return (outcome, connection.exchange())
    }

    /// True when the server accepts a connection and answers a GET of `/` (any status).
    func serverAnswers() -> Bool {
        exchange("is it still there?", request("GET", "/", extra: ["Connection: close"])).0.response != nil
    }
}

/// What the server serves, found by following links from `/` (or given on the command line).
public struct ProbeResources: Sendable {
    /// A small regular file (200, not a directory).
    public var file: String?
    /// A directory (a link ending in `/`), or `/` itself.
    public var directory: String = "/"
    /// A resource larger than the socket buffers (for the vanished-client check), and its size.
    public var large: String?
    public var largeSize: Int = 0
    /// Why no large resource was found, when none was.
    public var note: String?

    public init() {}
}
