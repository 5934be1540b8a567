import ProcessControl
import ArgumentParser
import Capture
import Inspect
import Labs
import Sockets
import SystemPackage

struct UDP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udp",
        abstract: "UDP with sendto() and recvfrom(): datagrams, no connection.",
        subcommands: [UDPReceive.self, UDPSend.self, UDPDemoCommand.self]
    )
}

struct UDPReceive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recv",
        abstract: "Print every datagram that arrives on a port, with its sender and size.",
        discussion: """
            Examples:
              netlab udp recv --port 5000
              netlab udp recv --port 5000 --count 3 --bind ::1
            """
    )

    @Option(help: "Port; 0 picks a free ephemeral port.")
    var port: UInt16 = 5000

    @Option(help: "Address to bind (127.0.0.1, ::1, 0.0.0.0, ::).")
    var bind = "127.0.0.1"

    @Option(name: .customShort("c"), help: "Stop after this many datagrams.")
    var count: Int?

    @Flag(help: "Send each datagram back to its sender (an echo).")
    var reply = false

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("-c needs a positive number") }
    }

    func run() throws {
        guard let address = SocketAddress(numeric: bind, port: port) else {
            Console.error("netlab: \(bind) is not a numeric IPv4 or IPv6 address")
            throw ExitCode(ExitCodes.usage)
        }
        let socket: Socket
        do {
            socket = try Socket(.udp, family: address.family)
            try socket.bind(address)
        } catch {
            throw failure(error)
        }
        let local = socket.localAddress ?? address
        Console.error("Waiting for datagrams on \(local) (recvfrom). Ctrl-C stops.")
        Console.output(local.description)
        Signals.installStopHandlers()
        var received = 0
        do {
            while !Signals.stopRequested, count.map({ received < $0 }) ?? true {
                guard try socket.wait(for: .readable, timeout: 0.25) else { continue }
                let (bytes, sender, truncated) = try socket.receiveFrom()
                received += 1
                Console.output(
                    "from \(sender)  \(bytes.count) byte\(bytes.count == 1 ? "" : "s")\(truncated ? " (cut)" : "")  "
                        + PayloadText.quote(bytes))
                if reply { try socket.send(bytes, to: sender) }
            }
        } catch {
            throw failure(error)
        }
        Console.error("\(received) datagram\(received == 1 ? "" : "s") received")
    }
}

struct UDPSend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send each MESSAGE as one datagram (sendto), and show replies or errors.",
        discussion: """
            The socket is connected to HOST PORT first (connect() on UDP only fixes the peer;
            no packet is sent), so an ICMP "port unreachable" comes back as ECONNREFUSED.

            Examples:
              netlab udp send 127.0.0.1 5000 hello world      # two datagrams
              netlab udp send 127.0.0.1 5000 ping --count 10
            """
    )

    @Argument(help: "Host name or address.")
    var host: String

    @Argument(help: "Port.")
    var port: UInt16

    @Argument(help: "Messages; each is one datagram.")
    var messages: [String]

    @Option(help: "Send the messages this many times.")
    var count = 1

    @Option(help: "Seconds to wait for replies after the last datagram.")
    var wait = 0.5

    func validate() throws {
        if messages.isEmpty { throw ValidationError("give at least one message") }
        if count <= 0 { throw ValidationError("--count needs a positive number") }
        if wait < 0 { throw ValidationError("--wait cannot be negative") }
    }

    func run() throws {
        let socket: Socket
        let peer: SocketAddress
        do throws(SocketError) {
            let entry = try Resolver.resolve(host, service: String(port), type: .datagram).first
            guard let address = entry?.address else {
                throw SocketError.nameResolution(host, detail: "no address")
            }
            peer = address
            socket = try Socket(.udp, family: address.family)
            try socket.connect(to: address)
        } catch {
            throw failure(error)
        }
        var sent = 0
        do throws(SocketError) {
            for _ in 0..<count {
                for message in messages {
                    try socket.sendDatagram(Array(message.utf8))
                    sent += 1
                    Console.output("sent \(message.utf8.count) bytes to \(peer)")
                }
            }
            let deadline = Clock.now + wait
            while Clock.now < deadline, try socket.wait(for: .readable, timeout: deadline - Clock.now) {
                let reply = try socket.receive()
                Console.output("reply \(reply.count) bytes  \(PayloadText.quote(reply))")
            }
        } catch {
            if error.errno == .connectionRefused {
                Console.error(
                    "netlab: \(peer) answered with ICMP port unreachable: nothing listens there (ECONNREFUSED)")
                throw ExitCode(ExitCodes.unavailable)
            }
            throw failure(error)
        }
        Console.error("\(sent) datagram\(sent == 1 ? "" : "s") sent")
    }
}

struct UDPDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show datagram boundaries, no handshake, and ICMP port unreachable → ECONNREFUSED.",
        discussion: """
            A receiver and a sender on loopback. With root (or CAP_NET_RAW) the packets are
            captured beside the socket calls; otherwise the demo says so and runs without them.

            Example:
              sudo netlab udp demo
            """
    )

    @Flag(help: "Do not try to capture.")
    var noCapture = false

    func run() throws {
        var demo = UDPDemo()
        demo.capture = !noCapture
        do {
            _ = try demo.run { Console.output($0) }
        } catch {
            throw failure(error)
        }
    }
}
