/// What `netlab probe http` reports: one result per check, grouped, with the bytes (and, when
/// it could capture, the frames) behind every failure. Plain values: the runner fills them,
/// the renderers (text, JSON) only read them.
public enum ProbeGroup: String, Sendable, CaseIterable {
    case basics, stream, connections, concurrency, safety
    /// `netlab probe client`: the student's client against netlab's recording server.
    case client
    /// `netlab probe echo`, `probe chat`, `probe upload`: plain TCP servers, one group each.
    case echo, chat, upload

    public var title: String {
        switch self {
        case .basics: "Basics"
        case .stream: "Byte stream"
        case .connections: "Connections"
        case .concurrency: "Concurrency"
        case .safety: "Safety"
        case .client: "Client"
        case .echo: "Echo"
        case .chat: "Chat"
        case .upload: "Upload"
        }
    }
}

/// One request/response exchange exactly as the bytes went: what the probe sent and what came back.
public struct ProbeExchange: Sendable {
    /// What this connection was for ("GET of a file", "the idle client").
    public var label: String
    public var sent: [UInt8]
    public var received: [UInt8]
    /// How the connection ended, in words ("closed by the server", "still open", "reset").
    public var ending: String
    /// The probe's local port (the capture's filter for this exchange's frames).
    public var localPort: UInt16

    public init(label: String, sent: [UInt8], received: [UInt8], ending: String, localPort: UInt16) {
        self.label = label
        self.sent = sent
        self.received = received
        self.ending = ending
        self.localPort = localPort
    }
}

public struct ProbeResult: Sendable {
    public enum Status: String, Sendable {
        case passed, failed
        /// The check could not run (no large resource found; the server stopped answering earlier).
        case skipped
    }

    /// Stable name: `group.check` (`stream.one-byte`), used by `--json` and the tests.
    public var id: String
    public var group: ProbeGroup
    public var title: String
    public var status: Status
    /// A failure of a required check makes the exit status non-zero.
    public var required: Bool
    public var expected: String
    public var observed: String
    /// Why it matters: the RFC section or the lesson.
    public var why: String
    public var exchanges: [ProbeExchange] = []
    /// tcpdump lines and a ladder of this check's connections (failures only, when capturing).
    public var frames: [String] = []
    public var ladder: [String] = []
    public var seconds: Double = 0

    public init(
        id: String, group: ProbeGroup, title: String, status: Status, required: Bool = true, expected: String,
        observed: String, why: String, exchanges: [ProbeExchange] = []
    ) {
        self.id = id
        self.group = group
        self.title = title
        self.status = status
        self.required = required
        self.expected = expected
        self.observed = observed
        self.why = why
        self.exchanges = exchanges
    }
}

public struct ProbeReport: Sendable {
    /// What was probed: `http` (a server), `client`, `echo`, `chat` or `upload`.
    public var command = "http"
    public var target: String
    public var results: [ProbeResult]
    /// The concurrency model the behaviour fits, in words.
    public var model: String
    /// Why there are no frames (no permission to capture), or nil when the probe captured.
    public var captureNote: String?
    /// Resources the probe found or was given (file, directory, large file).
    public var resources: [String: String] = [:]

    public init(target: String, results: [ProbeResult], model: String, captureNote: String?) {
        self.target = target
        self.results = results
        self.model = model
        self.captureNote = captureNote
    }

    public var passed: Int { results.filter { $0.status == .passed }.count }
    public var failed: Int { results.filter { $0.status == .failed }.count }
    public var skipped: Int { results.filter { $0.status == .skipped }.count }
    /// The score counts checks that ran: passed / (passed + failed).
    public var score: (passed: Int, ran: Int) { (passed, passed + failed) }
    /// True when no required check failed (the exit status is 0 then).
    public var allRequiredPassed: Bool { !results.contains { $0.required && $0.status == .failed } }
    public var failedIDs: [String] { results.filter { $0.status == .failed }.map(\.id) }
}
