import Inspect
import ProcessControl

/// `netlab server dns`: answers DNS queries over UDP from a zone file. One socket, one loop:
/// each datagram gets its answer at once, so no client can hold the others up; datagrams
/// over 4 KiB are refused (FORMERR), responses never exceed what the client can take.
public final class DNSServer {
    public let address: SocketAddress
    public let responder: DNSResponder
    private let socket: Socket
    public var log: (@Sendable (String) -> Void)?

    public struct Summary: Sendable {
        public var queries = 0
        public var dropped = 0
        /// Responses by rcode (0 NOERROR, 1 FORMERR, 3 NXDOMAIN, 4 NOTIMP, 5 REFUSED).
        public var byCode: [Int: Int] = [:]
        public var truncated = 0
    }

    public init(zone: DNSZone, host: String, port: UInt16) throws(SocketError) {
        guard let address = SocketAddress(numeric: host, port: port) else {
            throw SocketError("bind \(host)", code: EINVAL, detail: "\(host) is not a numeric IPv4 or IPv6 address")
        }
        responder = DNSResponder(zone: zone)
        socket = try Socket(.udp, family: address.family)
        socket.setReuseAddress()
        if address.family == .inet6 { socket.setIPv6Only(true) }
        try socket.bind(address)
        self.address = socket.localAddress ?? address
    }

    /// Serves until `shouldStop` returns true (checked every 250 ms).
    public func run(until shouldStop: () -> Bool) throws(SocketError) -> Summary {
        Signals.ignoreBrokenPipe()
        var summary = Summary()
        while !shouldStop() {
            guard try socket.wait(for: .readable, timeout: 0.25) else { continue }
            let bytes: [UInt8], sender: SocketAddress, truncated: Bool
            do {
                (bytes, sender, truncated) = try socket.receiveFrom(limit: 4096)
            } catch {
                log?("recvfrom: \(error)")
                continue
            }
            summary.queries += 1
            let query = truncated ? Array(bytes.prefix(DNSHeader.length)) + [0xFF] : bytes
            guard let (response, outcome) = responder.respond(to: query) else {
                summary.dropped += 1
                log?("\(sender): \(bytes.count) bytes that are not a DNS query, dropped")
                continue
            }
            summary.byCode[outcome.rcode, default: 0] += 1
            if outcome.truncated { summary.truncated += 1 }
            let code = DNSResponder.rcodeNames[outcome.rcode] ?? "rcode \(outcome.rcode)"
            let detail = outcome.truncated ? ", truncated (TC): ask again over TCP or with EDNS" : ""
            log?(
                "\(sender) asks \(outcome.question) → \(code), \(outcome.answers) answer\(outcome.answers == 1 ? "" : "s")\(detail)"
            )
            do {
                try socket.send(response, to: sender)
            } catch {
                log?("sendto \(sender): \(error)")
            }
        }
        return summary
    }
}

#if canImport(Glibc)
    import Glibc
#endif
