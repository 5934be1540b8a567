import ProcessControl
import ArgumentParser
import Capture
import Sockets

extension ServerModel: ExpressibleByArgument {}
extension AcceptMode: ExpressibleByArgument {}

struct ServerHTTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Serve a directory over HTTP/1.1 in one of four concurrency models.",
        discussion: """
            Models (all share one request handler and netlab's HTTP parser):
              serial   one client at a time; the next waits in the listen queue
              fork     a child process per connection
              threads  a thread per connection, at most --max-connections at once
              events   one thread and one epoll loop for every connection (the default);
                       --workers N runs N such loops on N threads: concurrency (并发) on one
                       core, then parallelism (并行) across cores

            How several loops take new connections (--accept):
              shared     one listening socket in every loop's epoll set
                         (EPOLLEXCLUSIVE, as nginx does): the kernel wakes one
                         waiting loop, so an idle loop takes the next
                         connection (the default)
              reuseport  a listener per loop on the same port (SO_REUSEPORT):
                         the kernel spreads connections by a hash of their
                         addresses, evenly, busy loop or not

            Files get Content-Type, Content-Length and Last-Modified; directories serve
            index.html or a listing; HEAD, keep-alive, If-Modified-Since (304) and single
            ranges (206) work. Paths that leave the root (.., %2e%2e, encoded slashes, symbolic
            links pointing out, NUL) are refused. Limits answer with their status: 414 request
            line, 431 headers, 413 body, 501 unknown method, 505 version, 400 malformed or no
            Host, 408 request too slow, 503 too many connections. The access log (stderr) uses
            python's http.server format.

            --demo-endpoints adds a few dynamic answers for lesson 15, before any file:
              GET /counter      Set-Cookie: visits=N, one more than the Cookie's
              GET /status/CODE  a page with that status (/status/500: a server error)
              GET /chunked      a body in Transfer-Encoding: chunked
              POST /echo        the request body back, with its Content-Type

            Examples:
              netlab server http                          # this directory, http://127.0.0.1:8000/
              netlab server http --root site --port 0     # an ephemeral port; the URL is printed
              netlab server http --model fork --bind ::1 --port 8080
              netlab server http --workers 2              # two event loops, one per core
              netlab server http --workers 2 --accept reuseport   # a listener each (ss -ltn)
              netlab server http --model serial --backlog 2   # queued clients: ss -ltn Recv-Q
              netlab server http --no-reuseaddr           # EADDRINUSE while a TIME-WAIT lingers
              sudo netlab sniff lo tcp port 8000          # in another terminal: watch it
            """
    )

    @Option(help: "The directory to serve.")
    var root = "."

    @Option(help: "TCP port; 0 picks a free ephemeral port.")
    var port: UInt16 = 8000

    @Option(help: "Address to listen on: 127.0.0.1, ::1, 0.0.0.0 (every interface) or ::.")
    var bind = "127.0.0.1"

    @Option(help: "Concurrency model: serial, fork, threads or events.")
    var model: ServerModel = .events

    @Option(help: "Event loops (threads) of the events model.")
    var workers = 1

    @Option(help: "How several event loops take new connections: shared (default) or reuseport.")
    var accept: AcceptMode?

    @Option(help: "Connections served at once; more get 503.")
    var maxConnections = ServerLimits().maxConnections

    @Option(help: "Seconds a client has to send a whole request (slowloris protection).")
    var requestTimeout = ServerLimits().requestTimeout

    @Option(help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout = ServerLimits().idleTimeout

    @Option(help: "Largest request body accepted, in bytes (413 beyond).")
    var maxBody = ServerLimits().parser.bodyBytes ?? 0

    @Flag(help: "Also answer lesson 15's demo endpoints: /counter, /status/CODE, /chunked, POST /echo.")
    var demoEndpoints = false

    @Option(help: "Connections the kernel completes and queues until accepted (listen(2)'s backlog).")
    var backlog: Int32 = 1024

    @Flag(
        name: .customLong("no-reuseaddr"),
        help: "Leave SO_REUSEADDR off: binding then fails (EADDRINUSE) while the port has a connection in TIME-WAIT.")
    var noReuseAddress = false

    @Flag(name: [.customShort("q"), .long], help: "No access log.")
    var quiet = false

    func validate() throws {
        if maxConnections < 1 { throw ValidationError("--max-connections needs at least 1") }
        if workers < 1 || workers > 256 { throw ValidationError("--workers takes 1 to 256 event loops") }
        if workers > 1 && model != .events {
            throw ValidationError("--workers is for the events model (the \(model.rawValue) model has no event loops)")
        }
        if accept != nil && workers < 2 {
            throw ValidationError("--accept chooses how several event loops take connections: add --workers 2 or more")
        }
        if requestTimeout <= 0 || idleTimeout <= 0 { throw ValidationError("timeouts must be positive seconds") }
        if maxBody < 0 { throw ValidationError("--max-body cannot be negative") }
        if backlog < 1 || backlog > 65535 { throw ValidationError("--backlog takes 1 to 65535 connections") }
    }

    func run() throws {
        var limits = ServerLimits()
        limits.maxConnections = maxConnections
        limits.requestTimeout = requestTimeout
        limits.idleTimeout = idleTimeout
        limits.parser.bodyBytes = maxBody
        ResourceLimits.raiseOpenFiles()
        let server: HTTPServer
        do {
            server = try HTTPServer(
                root: root, host: bind, port: port, model: model, limits: limits, log: AccessLog(enabled: !quiet),
                workers: workers, accept: accept ?? .shared, demoEndpoints: demoEndpoints, backlog: backlog,
                reuseAddress: !noReuseAddress)
        } catch {
            throw failure(error)
        }
        // The URL goes to stdout (scripts read it); everything else to stderr.
        let listeners = server.acceptMode == .shared ? "one shared listener" : "a listener each, SO_REUSEPORT"
        let loops = server.workers > 1 ? " (\(server.workers) event loops, \(listeners))" : ""
        Console.error("Serving \(server.files.root) with the \(model.rawValue) model\(loops). Ctrl-C stops.")
        Console.output(server.url)
        Signals.installStopHandlers()
        let summary: HTTPServer.Summary
        do {
            summary = try server.run { Signals.stopRequested }
        } catch {
            throw failure(error)
        }
        var line = "stopped: \(summary.connections) connection\(summary.connections == 1 ? "" : "s")"
        if model != .fork { line += ", \(summary.requests) request\(summary.requests == 1 ? "" : "s") answered" }
        if summary.refused > 0 { line += ", \(summary.refused) turned away (503)" }
        if summary.clientsGone > 0 { line += ", \(summary.clientsGone) ended by the client mid-way (reset or closed)" }
        if summary.childrenKilled > 0 { line += ", \(summary.childrenKilled) children killed by a signal" }
        if summary.connectionsPerWorker.count > 1 {
            line +=
                "; connections per event loop: " + summary.connectionsPerWorker.map(String.init).joined(separator: ", ")
        }
        Console.error(line)
    }
}
