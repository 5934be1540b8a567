import ProcessControl
import ArgumentParser
import Capture
import Sockets

struct ClientTCP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcp",
        abstract: "Connect to HOST PORT: standard input goes to the server, the server's bytes to standard output.",
        discussion: """
            Like nc: type lines (or pipe a file in). At the end of input (Ctrl-D) the client
            half-closes with shutdown(SHUT_WR), so the server reads end of stream but can still
            answer; it exits when the server closes. Connection details go to stderr.

            Examples:
              netlab client tcp 127.0.0.1 7000
              echo hello | netlab client tcp 127.0.0.1 7000
              netlab client tcp ::1 9000
              netlab client tcp 127.0.0.1 8000 --linger 5 </dev/null   # connect, say nothing for 5 s
            """
    )

    @Argument(help: "Host name or address.")
    var host: String

    @Argument(help: "Port.")
    var port: UInt16

    @Option(help: "Seconds to wait for the connection.")
    var timeout = 5.0

    @Option(
        help: "After the end of input, keep the connection open this many seconds before closing (a silent client).")
    var linger = 0.0

    func validate() throws {
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if linger < 0 || linger > 3600 { throw ValidationError("--linger takes 0 to 3600 seconds") }
    }

    func run() throws {
        let socket: Socket
        do {
            socket = try Socket.connect(host: host, port: port, timeout: timeout)
        } catch {
            throw failure(error)
        }
        let local = socket.localAddress.map(\.description) ?? "?"
        let peer = socket.peerAddress.map(\.description) ?? "\(host):\(port)"
        Console.error("connected to \(peer) from \(local)")
        Signals.installStopHandlers()
        do {
            let summary = try StreamClient.run(socket, linger: linger) { Signals.stopRequested }
            Console.error(
                "\(summary.serverClosedFirst ? "the server closed the connection" : "closed") — "
                    + "sent \(summary.sent) bytes, received \(summary.received)")
        } catch {
            throw failure(error)
        }
    }
}
