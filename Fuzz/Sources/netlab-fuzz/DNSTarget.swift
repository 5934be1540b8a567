import Inspect
import Sockets

/// DNS messages: the tcpdump printer (both verbosities), the message decoder, and the zone
/// server's responder, on any bytes. Properties: a decoded message survives encoding and
/// decoding again unchanged; the responder answers with a well-formed response, with the
/// query's identifier, never larger than 4096 bytes, and never answers a response.
enum DNSTarget {
    static let responder: DNSResponder = {
        let zone = """
            $ORIGIN netlab.test.
            @ SOA ns1 admin 1 3600 600 86400 60
            www A 127.0.0.1
            www AAAA ::1
            web CNAME www
            loop CNAME loop2
            loop2 CNAME loop
            @ MX 10 mail
            @ TXT "a" "b"
            """
        return DNSResponder(zone: try! DNSZone(text: zone))
    }()

    static func run(_ data: [UInt8]) {
        _ = TcpdumpPrinter.dnsSummary(data)
        _ = TcpdumpPrinter.dnsSummary(data, verbose: true)
        if case .success(let message) = DNSMessage.decode(data) {
            let again = DNSMessage.decode(message.encode())
            guard case .success(let decoded) = again, decoded == message || hasLongLabels(message) else {
                violated("a decoded DNS message does not survive encoding: \(again)")
            }
        }
        guard let (response, _) = responder.respond(to: data) else {
            if data.count >= 12 && data[2] & 0x80 == 0 { violated("a query with a header got no answer") }
            return
        }
        guard data.count >= 12, data[2] & 0x80 == 0 else { violated("answered something that is not a query") }
        guard response.count <= 4096, response[0] == data[0], response[1] == data[1] else {
            violated("response of \(response.count) bytes, identifier \(response.prefix(2)) for \(data.prefix(2))")
        }
        guard case .success(let parsed) = DNSMessage.decode(response), parsed.isResponse else {
            violated("the responder wrote a malformed response")
        }
    }

    /// Labels over 63 bytes cannot be written back the same (encode caps them).
    static func hasLongLabels(_ message: DNSMessage) -> Bool {
        let names =
            message.questions.map(\.name) + (message.answers + message.authorities + message.additionals).map(\.name)
        return names.contains { $0.contains { $0.count > 63 } }
    }
}
