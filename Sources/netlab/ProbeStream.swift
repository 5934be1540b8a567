import ArgumentParser
import Labs

/// What `probe echo`, `probe chat` and `probe upload` share with each other and with `probe http`:
/// the target, --json, --only (a check's short name here), --timeout, --no-capture.
struct StreamProbeOptions: ParsableArguments {
    @Argument(help: "The server's address (127.0.0.1, ::1, a name).")
    var host: String

    @Argument(help: "The server's TCP port.")
    var port: UInt16

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Run only this check (its short name; repeatable).", valueName: "CHECK"))
    var only: [String] = []

    @Option(help: "Seconds to wait for each answer.")
    var timeout = 5.0

    @Flag(help: "Do not capture packets even when allowed (bytes only).")
    var noCapture = false

    func validate(for group: ProbeGroup) throws {
        try Probe.validate(timeout: timeout)
        if port == 0 { throw ValidationError("give the server's port (not 0)") }
        let names = StreamProbe.checkNames(group)
        if let unknown = only.first(where: { !names.contains($0) }) {
            throw ValidationError(
                "no check '\(unknown)' in probe \(group.rawValue); choose from \(names.joined(separator: ", "))")
        }
    }

    /// Runs the probe and prints the report; exit status 1 when a required check failed.
    func run(_ group: ProbeGroup, nickname: Bool = false) throws {
        var probe = StreamProbe(group: group, host: host, port: port)
        probe.timeout = timeout
        probe.only = Set(only)
        probe.capture = !noCapture
        probe.nickname = nickname
        try Probe.printReport(probe.run(), json: json)
    }
}

struct ProbeEcho: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Check a TCP echo server you wrote: exact bytes, 1 MiB, half-close, 20 clients, resets.",
        discussion: """
            Checks: small, binary (all 256 byte values), large (1 MiB, read
            while sending), half-close (256 KiB, then shutdown(SHUT_WR): all of
            it must come back, then the close), silent-client (a client that
            sends nothing must not block a second one), parallel (20 clients at
            once), after-reset (a client resets mid-message; the next is
            served). Evidence, --json, --only and exit status as in probe http
            (0 all required passed, 1 one failed, 69 nothing listens).

            Examples:
              netlab probe echo 127.0.0.1 7000
              sudo netlab probe echo 127.0.0.1 7000 --only half-close   # with frames
            """
    )

    @OptionGroup var options: StreamProbeOptions

    func validate() throws { try options.validate(for: .echo) }

    func run() throws { try options.run(.echo) }
}

struct ProbeChat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Check a line-based chat server you wrote: broadcast, framing, a client that never reads.",
        discussion: """
            Checks: broadcast (a line from A reaches B and C), pieces (a line
            sent a byte at a time arrives whole), two-lines (two lines in one
            segment arrive as two, decorated alike), slow-reader (a client that
            never reads must not stop 8 MiB reaching the others). Any
            decoration ([nick] , addr: ) and greetings are fine: the probe looks
            for its own text. --nickname sends a first line with a nickname on
            every connection (netlab server chat asks for one).

            Examples:
              netlab probe chat 127.0.0.1 9000
              netlab probe chat 127.0.0.1 9000 --nickname      # netlab server chat
            """
    )

    @OptionGroup var options: StreamProbeOptions

    @Flag(help: "Send a nickname line first on every connection.")
    var nickname = false

    func validate() throws { try options.validate(for: .chat) }

    func run() throws { try options.run(.chat, nickname: nickname) }
}

struct ProbeUpload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Check a framed upload server you wrote (lesson 9: length, JSON header, body, SHA-256).",
        discussion: """
            Sends uploads as netlab send-file does (a 4-byte big-endian header
            length, {"name","size","sha256"}, the body) and expects a framed
            JSON reply, {"ok":true,...} or {"ok":false,"error":...}. Checks:
            whole (1 MiB), merged (everything in one segment), one-byte (one
            byte per segment), bad-hash (must be refused), after-cut (a
            transfer cut mid-body; the next upload gets ok). Each accepted
            upload stores a small file named netlab-probe-... on the server.

            Examples:
              netlab probe upload 127.0.0.1 9100
              netlab probe upload 127.0.0.1 9100 --json > report.json
            """
    )

    @OptionGroup var options: StreamProbeOptions

    func validate() throws { try options.validate(for: .upload) }

    func run() throws { try options.run(.upload) }
}
