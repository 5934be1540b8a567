import ProcessControl
import ArgumentParser
import Capture
import Sockets

struct ServerEcho: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Send back whatever clients send (TCP, or UDP datagrams with --udp).",
        discussion: """
            TCP: each connection gets its own thread that loops recv() → send() until the client
            closes; one silent or stuck client never blocks the others. UDP: one socket loops
            recvfrom() → sendto(), and every datagram comes back whole, to whoever sent it.
            Events (connections, datagrams) are logged on stderr.

            Examples:
              netlab server echo --port 7000
              netlab client tcp 127.0.0.1 7000         # in another terminal: type lines
              netlab server echo --port 7000 --udp
              netlab udp send 127.0.0.1 7000 hello
              netlab server echo --port 7000 --rcvbuf 4096 --read-delay 0.2   # a slow reader: zero window
            """
    )

    @Option(help: "Port; 0 picks a free ephemeral port.")
    var port: UInt16 = 7000

    @Option(help: "Address to listen on (127.0.0.1, ::1, 0.0.0.0, ::).")
    var bind = "127.0.0.1"

    @Flag(help: "Echo UDP datagrams instead of TCP streams.")
    var udp = false

    @Option(help: "TCP connections served at once.")
    var maxConnections = 128

    @Option(help: "Seconds of silence after which a TCP connection is closed.")
    var idleTimeout = 300.0

    @Option(help: "Seconds to wait before each read (TCP): a slow reader fills its window (flow control).")
    var readDelay = 0.0

    @Option(help: "SO_RCVBUF in bytes for TCP connections (Linux doubles it): a small window that fills fast.")
    var rcvbuf: Int32?

    @Flag(
        name: .customLong("no-reuseaddr"),
        help: "Leave SO_REUSEADDR off: binding then fails (EADDRINUSE) while the port has a connection in TIME-WAIT.")
    var noReuseAddress = false

    @Flag(name: [.customShort("q"), .long], help: "No event log.")
    var quiet = false

    func validate() throws {
        if maxConnections < 1 { throw ValidationError("--max-connections needs at least 1") }
        if idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive") }
        if readDelay < 0 || readDelay > 60 { throw ValidationError("--read-delay takes 0 to 60 seconds") }
        if let rcvbuf, rcvbuf < 1 || rcvbuf > 64 << 20 {
            throw ValidationError("--rcvbuf takes 1 to 67108864 bytes")
        }
        if udp && (readDelay > 0 || rcvbuf != nil) {
            throw ValidationError("--read-delay and --rcvbuf are for TCP: a UDP socket has no window")
        }
    }

    func run() throws {
        let server: EchoServer
        do {
            server = try EchoServer(kind: udp ? .udp : .tcp, host: bind, port: port, reuseAddress: !noReuseAddress)
        } catch {
            throw failure(error)
        }
        server.maxConnections = maxConnections
        server.idleTimeout = idleTimeout
        server.readDelay = readDelay
        if let rcvbuf, !server.setReceiveBuffer(rcvbuf) {
            throw Failure("cannot set SO_RCVBUF to \(rcvbuf) bytes", exitCode: ExitCodes.software)
        }
        if !quiet { server.log = { Console.error($0) } }
        Console.error("Echoing \(udp ? "UDP datagrams" : "TCP") on \(server.address). Ctrl-C stops.")
        Console.output(server.address.description)
        Signals.installStopHandlers()
        do {
            let summary = try server.run { Signals.stopRequested }
            Console.error(
                udp
                    ? "stopped: \(summary.datagrams) datagrams, \(summary.bytes) bytes echoed"
                    : "stopped: \(summary.connections) connections, \(summary.bytes) bytes echoed")
        } catch {
            throw failure(error)
        }
    }
}
