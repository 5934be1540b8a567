import ProcessControl
import ArgumentParser
import Capture
import Sockets

struct ServerChat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "A multi-user chat room over TCP (one epoll loop for everyone).",
        discussion: """
            Connect with `netlab client tcp HOST PORT` (or nc). The first line you send is your
            nickname; after that every line goes to everyone else as [nick] text. /who lists
            who is here, /quit leaves. A client that stops reading is disconnected once
            --max-queued bytes wait for it, so it never holds up the others.

            Examples:
              netlab server chat --port 9000
              netlab client tcp 127.0.0.1 9000        # in two or more terminals
            """
    )

    @Option(help: "Port; 0 picks a free ephemeral port.")
    var port: UInt16 = 9000

    @Option(help: "Address to listen on (127.0.0.1, ::1, 0.0.0.0, ::).")
    var bind = "127.0.0.1"

    @Option(help: "People in the room at once.")
    var maxClients = 256

    @Option(help: "Bytes that may wait for a slow reader before it is dropped.")
    var maxQueued = 64 * 1024

    @Flag(name: [.customShort("q"), .long], help: "No event log.")
    var quiet = false

    func validate() throws {
        if maxClients < 1 { throw ValidationError("--max-clients needs at least 1") }
        if maxQueued < 1024 { throw ValidationError("--max-queued needs at least 1024 bytes") }
    }

    func run() throws {
        let server: ChatServer
        do {
            server = try ChatServer(host: bind, port: port)
        } catch {
            throw failure(error)
        }
        server.maxClients = maxClients
        server.maxQueuedBytes = maxQueued
        if !quiet { server.log = { Console.error($0) } }
        Console.error("Chat room on \(server.address). Ctrl-C stops.")
        Console.output(server.address.description)
        Signals.installStopHandlers()
        do {
            let summary = try server.run { Signals.stopRequested }
            Console.error(
                "stopped: \(summary.connections) connections, \(summary.messages) messages, \(summary.dropped) dropped")
        } catch {
            throw failure(error)
        }
    }
}
