import Capture
import Inspect
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

/// The UDP lesson in one run: datagrams keep their boundaries, there is no connection and
/// no handshake, and sending to a port where nobody listens comes back as ICMP "port
/// unreachable", which a *connected* UDP socket reports as ECONNREFUSED.
public struct UDPDemo {
    public var messages = ["hello", String(repeating: "x", count: 1200), "a third, separate datagram"]
    /// Capture on lo beside the socket calls (needs root; otherwise the demo says so).
    public var capture = true

    public init() {}

    public struct Outcome: Sendable {
        public var sent: [Int] = []
        public var received: [Int] = []
        public var refusedError: String?
        public var unconnectedError: String?
        public var captured: Int?
    }

    public func run(say: (String) -> Void) throws(SocketError) -> Outcome {
        var outcome = Outcome()
        let receiver = try Socket(.udp, family: .inet)
        try receiver.bind(SocketAddress(numeric: "127.0.0.1", port: 0)!)
        let address = receiver.localAddress!
        let closed = try Self.closedPort()
        var background: BackgroundCapture?
        if capture {
            do {
                background = try BackgroundCapture.start(
                    filter: "udp port \(address.port) or udp port \(closed) or icmp")
            } catch {
                say("(No capture beside it: \(error). Run as root to see the packets too.)\n")
            }
        }
        say("1. A receiver: socket(AF_INET, SOCK_DGRAM) + bind(\(address)). No listen(), no accept().")
        let sender = try Socket(.udp, family: .inet)
        say("2. A sender: socket(AF_INET, SOCK_DGRAM), no connect(). Each sendto() is one datagram:")
        for message in messages {
            let sent = try sender.send(Array(message.utf8), to: address)
            outcome.sent.append(sent)
            say("   sendto(\(address), \(sent) bytes)  \(PayloadText.quote(Array(message.utf8), limit: 20))")
        }
        say("3. The receiver calls recvfrom() with a 64 KiB buffer, once per datagram:")
        for _ in messages {
            guard try receiver.wait(for: .readable, timeout: 2) else {
                say("   (nothing arrived within 2 s)")
                break
            }
            let (bytes, from, _) = try receiver.receiveFrom()
            outcome.received.append(bytes.count)
            say(
                "   recvfrom → \(bytes.count) bytes from \(from)  \(PayloadText.quote(bytes, limit: 20))"
            )
        }
        say(
            outcome.received == outcome.sent
                ? "   Each recvfrom() returned exactly one whole datagram: UDP keeps message boundaries."
                : "   The sizes differ from what was sent: \(outcome.received) vs \(outcome.sent).")

        say("\n4. Now to port \(closed), where nobody listens.")
        let unconnected = try Socket(.udp, family: .inet)
        try unconnected.send(Array("anyone there?".utf8), to: SocketAddress(numeric: "127.0.0.1", port: closed)!)
        outcome.unconnectedError = Self.pendingError(unconnected)
        say(
            "   Unconnected sendto(): \(outcome.unconnectedError ?? "no error") — the ICMP error quotes the "
                + "datagram, so the kernel knows the destination, but errno cannot carry an address, so an "
                + "unconnected socket is not told (IP_RECVERR would queue it with the address).")
        let connected = try Socket(.udp, family: .inet)
        try connected.connect(to: SocketAddress(numeric: "127.0.0.1", port: closed)!)
        try connected.sendDatagram(Array("anyone there?".utf8))
        outcome.refusedError = Self.pendingError(connected)
        say(
            "   Connected UDP socket (connect() just fixes the peer; no packet is sent): send(), then recv() → "
                + "\(outcome.refusedError ?? "no error")")
        say("   The host answered with ICMP \"port unreachable\"; a connected socket reports it as ECONNREFUSED.")

        if let background {
            let frames = background.stop()
            outcome.captured = frames.count
            say("\nOn the wire (captured on lo, as tcpdump -nn prints it):")
            var printer = TcpdumpPrinter()
            for frame in frames {
                var out = TextBuffer()
                frame.bytes.withUnsafeBytes { raw in
                    printer.print(
                        ByteView(raw), wireLength: frame.wireLength, linkType: background.linkType,
                        seconds: Int64(frame.time), microseconds: Int((frame.time - frame.time.rounded(.down)) * 1e6),
                        into: &out)
                }
                say("   " + out.string.dropLast())
            }
            say(
                "No SYN, no ACK, no FIN: \(messages.count) datagrams are \(messages.count) UDP packets, "
                    + "and the refused ones come back as ICMP.")
        }
        return outcome
    }

    /// A UDP port on 127.0.0.1 that nothing is bound to right now.
    static func closedPort() throws(SocketError) -> UInt16 {
        let probe = try Socket(.udp, family: .inet)
        try probe.bind(SocketAddress(numeric: "127.0.0.1", port: 0)!)
        let port = probe.localPort
        probe.close()
        return port
    }

    /// Waits briefly for a datagram or an error on the socket; the error's errno name, if any.
    static func pendingError(_ socket: Socket) -> String? {
        guard (try? socket.wait(for: .readable, timeout: 0.5)) == true else { return nil }
        do {
            _ = try socket.receive()
            return nil
        } catch {
            return "\(error.name) (\(String(cString: strerror(error.code))))"
        }
    }
}
