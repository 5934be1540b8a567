import ArgumentParser
import Inspect
import Labs
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Grade your own server: run checks against it and show the wire evidence of each failure.",
        subcommands: [ProbeHTTP.self, ProbeClient.self, ProbeEcho.self, ProbeChat.self, ProbeUpload.self]
    )

    /// Every probe's --timeout: long enough for a slow server, short enough that a hang is seen.
    static func validate(timeout: Double) throws {
        if timeout <= 0 || timeout > 120 { throw ValidationError("--timeout must be between 0 and 120 seconds") }
    }

    /// Prints a probe's report (JSON, or text coloured on a terminal unless NO_COLOR is set);
    /// exit status 1 when a required check failed.
    static func printReport(_ report: ProbeReport, json: Bool) throws {
        var out = TextBuffer()
        if json {
            out.append(string: ProbeJSON.render(report))
        } else {
            let colour = Console.stdoutIsTerminal && getenv("NO_COLOR").map({ String(cString: $0).isEmpty }) ?? true
            out.append(string: ProbeText(colour: colour).render(report))
        }
        _ = Console.write(&out)
        if !report.allRequiredPassed { throw ExitCode(1) }
    }
}

extension ProbeGroup: ExpressibleByArgument {
    /// The groups of `probe http`; `client`, `echo`, `chat` and `upload` are commands of their own.
    static let httpGroups: [ProbeGroup] = [.basics, .stream, .connections, .concurrency, .safety]
    public static var allValueStrings: [String] { httpGroups.map(\.rawValue) }
}

struct ProbeHTTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract:
            "Check an HTTP server you wrote (any language): basics, byte stream, connections, concurrency, safety.",
        discussion: """
            Follows the links from / to find a small file, a directory and a
            large file, then runs each check on fresh connections and reports
            what was expected, what happened, why it matters, and for every
            failure the exact bytes sent and received. With root or CAP_NET_RAW
            it also captures on the loopback interface and shows each failed
            check's frames as tcpdump lines and a ladder. Nothing is ever
            written on the server.

            Groups: basics, stream, connections, concurrency, safety (--only,
            repeatable). Exit status: 0 when every required check passed, 1 when
            one failed, 69 when nothing answers at URL, 64 for a bad option.

            Examples:
              netlab probe http http://127.0.0.1:8000/
              sudo netlab probe http http://127.0.0.1:8000/ --only stream     # with frames
              netlab probe http http://127.0.0.1:8000/ --json > report.json
              netlab probe http http://127.0.0.1:8000/ --large /big.iso
              netlab probe http http://127.0.0.1:8000/ --sentinel ~/secret.txt
            """
    )

    @Argument(help: "The server's URL: http://HOST:PORT/ (IPv6 in brackets).")
    var url: String

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Run only this group (repeatable).", valueName: "GROUP"))
    var only: [ProbeGroup] = []

    @Option(help: "Seconds to wait for each answer.")
    var timeout = 5.0

    @Option(
        help: ArgumentHelp("A path larger than 1 MiB on the server (for the vanished-client check).", valueName: "PATH")
    )
    var large: String?

    @Option(
        help: ArgumentHelp(
            "A local file outside the served tree whose first line must never come back.", valueName: "FILE"))
    var sentinel = "/etc/passwd"

    @Flag(help: "Do not capture packets even when allowed (bytes only).")
    var noCapture = false

    func validate() throws {
        try Probe.validate(timeout: timeout)
        if let other = only.first(where: { !ProbeGroup.httpGroups.contains($0) }) {
            throw ValidationError("'\(other.rawValue)' is `netlab probe \(other.rawValue)`, not a group of probe http")
        }
        if let large, !large.hasPrefix("/") { throw ValidationError("--large takes a path starting with /") }
    }

    func run() throws {
        let target: HTTPURL
        do {
            target = try HTTPURL.parse(url)
        } catch {
            throw Failure("\(error)", exitCode: ExitCodes.usage)
        }
        var probe = HTTPProbe(target: target)
        probe.timeout = timeout
        probe.only = Set(only)
        probe.large = large
        probe.sentinel = sentinel
        probe.capture = !noCapture
        try Probe.printReport(probe.run(), json: json)
    }
}

struct ProbeClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Check an HTTP client you wrote: run it against a netlab server that answers in five ways.",
        discussion: """
            Runs COMMAND once per scenario with {url} replaced by that
            scenario's URL (appended when COMMAND has no {url}), against a
            loopback server that records each request and answers with
            Content-Length on a connection it keeps open, chunked, a body ended
            by the close, a body in three pieces 0.3 s apart, and a redirect
            (optional). The client must print the whole body each time and
            finish; every request needs a proper request line, Host and CRLF
            line endings.

            Exit status: 0 when every required check passed, 1 when one failed.

            Examples:
              netlab probe client -- python3 my_client.py {url}
              netlab probe client --timeout 10 -- ./myclient {url}
              netlab probe client --json -- curl -s {url}
            """
    )

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(help: "Seconds the client has per scenario.")
    var timeout = 5.0

    @Argument(parsing: .postTerminator, help: "The client command; {url} is replaced by the URL to fetch.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty {
            throw ValidationError("give the client command after --, e.g. -- python3 client.py {url}")
        }
        try Probe.validate(timeout: timeout)
    }

    func run() throws {
        var probe = ClientProbe(command: command)
        probe.timeout = timeout
        try Probe.printReport(probe.run(), json: json)
    }
}
