import Foundation
import Inspect
import Sockets
import Synchronization

/// `netlab probe client -- COMMAND {url}`: runs the student's HTTP client against a netlab
/// server that records every request and answers each run in another way (Content-Length on a
/// connection it keeps open, chunked, ended by the close, a body that arrives in pieces, a
/// redirect). The client must send a well-formed request and print the whole body each time.
public struct ClientProbe {
    /// The command; `{url}` is replaced by each scenario's URL (appended when absent).
    public var command: [String]
    /// Seconds the client has per scenario.
    public var timeout = 5.0

    public init(command: [String]) { self.command = command }

    /// One way of answering, and what the client must then print.
    struct Scenario: Sendable {
        var name: String
        var title: String
        var expected: String
        var why: String
        var required = true
        /// The response pieces (a pause between each), whether to close afterwards, and the
        /// body the client must print.
        var respond: @Sendable (_ path: String, _ body: [UInt8]) -> (pieces: [[UInt8]], close: Bool)
    }

    static func head(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) }

    static let scenarios: [Scenario] = [
        Scenario(
            name: "content-length", title: "Content-Length on a kept-alive connection",
            expected: "the body printed whole, and the client done, while the server keeps the connection open",
            why: "RFC 9112 §6.3: the length, not the close, says where the body ends (lesson 5)"
        ) { _, body in
            ([head(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: \(body.count)"]) + body], false)
        },
        Scenario(
            name: "chunked", title: "A chunked body",
            expected: "the body printed decoded (no chunk sizes)",
            why: "RFC 9112 §7.1: chunk sizes are framing, not content"
        ) { _, body in
            var bytes = head(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Transfer-Encoding: chunked"])
            var rest = body[...]
            for size in [7, 30, Int.max] where !rest.isEmpty {
                let piece = rest.prefix(size)
                bytes += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + [0x0D, 0x0A]
                rest = rest.dropFirst(piece.count)
            }
            return ([bytes + Array("0\r\n\r\n".utf8)], true)
        },
        Scenario(
            name: "close-delimited", title: "A body ended by the close",
            expected: "the body printed whole when the server closes",
            why: "RFC 9112 §6.3 rule 8: without a length, the body runs to the close"
        ) { _, body in
            ([head(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Connection: close"]) + body], true)
        },
        Scenario(
            name: "slow-body", title: "A body in three pieces, 0.3 s apart",
            expected: "the whole body printed, not only the first piece",
            why: "lesson 9: one recv() returns what has arrived; read until Content-Length bytes came"
        ) { _, body in
            let third = body.count / 3
            return (
                [
                    head([
                        "HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: \(body.count)",
                        "Connection: close",
                    ])
                        + body.prefix(third),
                    Array(body[third..<(2 * third)]), Array(body[(2 * third)...]),
                ], true
            )
        },
        Scenario(
            name: "redirect", title: "A redirect (optional)",
            expected: "the client follows 301 to Location and prints that page's body",
            why: "RFC 9110 §15.4.2; optional: many simple clients print the 301 instead", required: false
        ) { path, body in
            if path.hasSuffix("-moved") {
                // Closed too: keeping connections open is the content-length scenario's test, not this one's.
                let fields = [
                    "HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: \(body.count)", "Connection: close",
                ]
                return ([head(fields) + body], true)
            }
            let note = Array("moved\n".utf8)
            return (
                [
                    head([
                        "HTTP/1.1 301 Moved Permanently", "Location: \(path)-moved", "Content-Length: \(note.count)",
                        "Connection: close",
                    ])
                        + note
                ], true
            )
        },
    ]

    /// Every check id, in report order.
    public static var checkIDs: [String] {
        ["client.request-line", "client.host", "client.crlf"] + scenarios.map { "client.\($0.name)" }
    }

    public func run() throws(SocketError) -> ProbeReport {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let authority = "127.0.0.1:\(listener.localPort)"
        var results: [ProbeResult] = []
        var requests: [RecordingServer.Request] = []
        for scenario in Self.scenarios {
            let token = "netlab-\(UInt32.random(in: 0...UInt32.max))"
            let path = "/probe-\(scenario.name)-\(token)"
            let body =
                Array("netlab probe body \(token)\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 200) + [0x0A]
            let server = RecordingServer(listener: listener, scenario: scenario, body: body)
            server.start()
            let run = ClientRun.run(substitute("http://\(authority)\(path)"), timeout: timeout)
            let recorded = server.stop()
            requests += recorded
            results.append(judge(scenario, path: path, body: body, run: run, recorded: recorded))
        }
        results.insert(contentsOf: judgeRequests(requests, authority: authority), at: 0)
        var report = ProbeReport(
            target: command.joined(separator: " "), results: results, model: "", captureNote: nil)
        report.command = "client --"
        report.resources["server"] = "http://\(authority)/"
        return report
    }

    func substitute(_ url: String) -> [String] {
        let replaced = command.map { $0.replacingOccurrences(of: "{url}", with: url) }
        return command.contains { $0.contains("{url}") } ? replaced : replaced + [url]
    }

    func judge(
        _ scenario: Scenario, path: String, body: [UInt8], run: ClientRun.Outcome, recorded: [RecordingServer.Request]
    ) -> ProbeResult {
        let exchanges = recorded.map {
            ProbeExchange(
                label: "request \($0.path)", sent: $0.response, received: $0.bytes,
                ending: "the probe's server answered (sent) what the client sent (received)", localPort: $0.port)
        }
        var observed: String
        var passed = false
        let printed = bytes(run.output, contain: body)
        if recorded.isEmpty {
            observed = "no request arrived" + (run.launchError.map { " (\($0))" } ?? "")
        } else if run.timedOut {
            observed =
                "the client was still running after \(timeout) s"
                + (printed ? " (it had printed the body: it waits for a close that never comes)" : "")
        } else if !printed {
            observed =
                "the body was not printed whole (\(run.output.count) bytes on stdout): "
                + ProbeText.excerpt(Array(run.output.prefix(300)))
        } else {
            passed = true
            observed = "body printed, client exited with \(run.status) in \(String(format1: run.seconds)) s"
        }
        var result = ProbeResult(
            id: "client.\(scenario.name)", group: .client, title: scenario.title, status: passed ? .passed : .failed,
            required: scenario.required, expected: scenario.expected, observed: observed, why: scenario.why,
            exchanges: passed ? [] : exchanges)
        if !passed {
            result.exchanges.append(
                ProbeExchange(
                    label: "the client's stdout", sent: [], received: run.output,
                    ending: run.timedOut ? "stopped by the probe" : "exit status \(run.status)", localPort: 0))
        }
        return result
    }

    /// The request checks, over every request of every scenario.
    func judgeRequests(_ requests: [RecordingServer.Request], authority: String) -> [ProbeResult] {
        var lineProblems: [(String, RecordingServer.Request)] = []
        var hostProblems: [(String, RecordingServer.Request)] = []
        var crlfProblems: [(String, RecordingServer.Request)] = []
        for request in requests {
            var strict = HTTPParser(kind: .request)
            var head: HTTPHead?
            for event in strict.parse(request.bytes) {
                switch event {
                case .head(let parsed): head = parsed
                case .failed(let error):
                    switch error.kind {
                    case .bareLF, .bareCR, .mixedLineEndings:
                        crlfProblems.append(("\(error.reason) at byte \(error.offset)", request))
                    default:
                        lineProblems.append(("\(error.reason) (\(error.rule))", request))
                    }
                default: break
                }
            }
            var lenient = HTTPParser(kind: .request, lenient: true)
            for case .head(let parsed) in lenient.parse(request.bytes) where head == nil { head = parsed }
            guard let head else {
                if !lineProblems.contains(where: { $0.1.port == request.port && $0.1.bytes == request.bytes }) {
                    lineProblems.append(("no complete request head", request))
                }
                continue
            }
            if head.method != "GET" || head.target != request.path || head.version.major != 1 {
                lineProblems.append(
                    (
                        "request line \(head.method ?? "?") \(head.target ?? "?") \(head.version), expected GET \(request.path) HTTP/1.x",
                        request
                    ))
            }
            if head.version.minor >= 1 {
                let hosts = head.values("Host")
                if hosts.count != 1 || hosts[0] != authority {
                    hostProblems.append(
                        (
                            hosts.isEmpty
                                ? "HTTP/1.1 request without Host"
                                : "Host: \(hosts.joined(separator: ", ")), expected \(authority)", request
                        ))
                }
            }
        }
        func result(
            _ id: String, _ title: String, _ expected: String, _ why: String,
            _ problems: [(String, RecordingServer.Request)]
        )
            -> ProbeResult
        {
            let passed = !requests.isEmpty && problems.isEmpty
            let observed =
                requests.isEmpty
                ? "no request arrived"
                : problems.isEmpty ? "\(requests.count) requests, all well-formed" : problems[0].0
            return ProbeResult(
                id: id, group: .client, title: title, status: passed ? .passed : .failed, expected: expected,
                observed: observed, why: why,
                exchanges: problems.prefix(2).map {
                    ProbeExchange(
                        label: "request \($0.1.path)", sent: $0.1.response, received: $0.1.bytes,
                        ending: "the probe's server answered (sent) what the client sent (received)",
                        localPort: $0.1.port)
                })
        }
        return [
            result(
                "client.request-line", "Request line", "GET, the URL's path, HTTP/1.x",
                "RFC 9112 §3: request-line = method SP request-target SP HTTP-version", lineProblems),
            result(
                "client.host", "Host header", "exactly one Host on HTTP/1.1, naming the URL's host and port",
                "RFC 9112 §3.2: a client MUST send Host in every HTTP/1.1 request", hostProblems),
            result(
                "client.crlf", "CRLF line endings", "every line of the request ends in \\r\\n",
                "RFC 9112 §2.2: a strict server (netlab's, nginx) refuses a bare LF", crlfProblems),
        ]
    }
}
