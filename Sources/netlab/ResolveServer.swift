import Inspect
import Sockets

/// `netlab resolve NAME --server ADDR`: one DNS question over UDP, shown as dig shows it, with
/// the line tcpdump will print for each datagram, and with --show every byte.
struct DNSQueryCommand {
    var name: String
    var server: String
    var record: String
    var show: Bool
    var timeout: Double

    func run() throws {
        guard let address = Self.address(server) else {
            throw Failure(
                "'\(server)' is not ADDRESS[:PORT] with a numeric address ([::1]:5300 for IPv6)",
                exitCode: ExitCodes.usage)
        }
        guard let labels = DNSName.labels(name) else {
            throw Failure(
                "'\(name)' is not a domain name (labels of 1–63 bytes, 255 in all)", exitCode: ExitCodes.usage)
        }
        let type = DNSType.parse(record)!
        var client = DNSClient()
        client.timeout = timeout
        let exchange: DNSClient.Exchange
        do {
            exchange = try client.query(labels, type: type, server: address)
        } catch {
            switch error {
            case .socket(let socketError): throw failure(socketError)
            case .noAnswer: throw Failure("\(address): \(error)", exitCode: ExitCodes.tempFailure)
            case .malformed(_, let bytes):
                var out = TextBuffer()
                Self.dump(bytes, title: "answer (malformed)", into: &out)
                _ = Console.write(&out)
                throw Failure("\(address): \(error)", exitCode: ExitCodes.protocolError)
            }
        }
        var out = TextBuffer()
        let query = exchange.query, answer = exchange.message
        out.append(string: ";; query to \(address) over UDP, \(query.count) bytes, id \(answer.identifier)\n")
        // tcpdump (and netlab sniff) decode DNS by port: elsewhere a capture shows "UDP, length N".
        let onPort53 = address.port == 53
        let prints = onPort53 ? "tcpdump -nn prints:" : "on port 53, tcpdump -nn would print:"
        out.append(string: ";;   \(prints) \(TcpdumpPrinter.dnsSummary(query))\n")
        if show { Self.describe(query, into: &out) }
        let milliseconds = (exchange.seconds * 1000 * 100).rounded() / 100
        out.append(
            string:
                ";; answer in \(milliseconds) ms, \(exchange.response.count) bytes: \(Self.flagsText(answer.flags))\n")
        out.append(string: ";;   \(prints) \(TcpdumpPrinter.dnsSummary(exchange.response))\n")
        if show { Self.describe(exchange.response, into: &out) }
        for (title, records) in [
            ("ANSWER", answer.answers), ("AUTHORITY", answer.authorities), ("ADDITIONAL", answer.additionals),
        ]
        where !records.isEmpty {
            out.append(string: ";; \(title)\n")
            for record in records where record.type != DNSType.opt {
                let owner = DNSName.text(record.name)
                out.append(
                    string:
                        "\(owner.padding(24)) \(String(record.ttl).padding(6)) IN  \(DNSType.name(record.type).padding(6)) \(record.data.text)\n"
                )
            }
        }
        if !onPort53 {
            out.append(
                string:
                    ";; (on port \(address.port) a capture shows only \"UDP, length N\": tcpdump picks its DNS decoder by port 53)\n"
            )
        }
        if exchange.ignored > 0 {
            out.append(string: ";; \(exchange.ignored) other datagrams ignored (wrong id or question)\n")
        }
        _ = Console.write(&out)
        switch answer.rcode {
        case 0 where answer.answers.isEmpty:
            Console.error("netlab: \(name) exists but has no \(DNSType.name(type)) record (NOERROR, no data)")
        case 0: break
        case 3: throw Failure("\(name) does not exist (NXDOMAIN)", exitCode: ExitCodes.noHost)
        default:
            let code = DNSResponder.rcodeNames[answer.rcode] ?? "rcode \(answer.rcode)"
            throw Failure("the server answered \(code)", exitCode: ExitCodes.unavailable)
        }
    }

    /// `127.0.0.1`, `127.0.0.1:5300`, `::1`, `[::1]:5300` (port 53 when none is given).
    static func address(_ text: String) -> SocketAddress? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            let port = rest.isEmpty ? 53 : rest.hasPrefix(":") ? UInt16(rest.dropFirst()) : nil
            return port.flatMap { SocketAddress(numeric: host, port: $0) }
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard let port = UInt16(text[text.index(after: colon)...]) else { return nil }
            return SocketAddress(numeric: String(text[..<colon]), port: port)
        }
        return SocketAddress(numeric: text, port: 53)
    }

    static func flagsText(_ flags: UInt16) -> String {
        var parts = [DNSResponder.rcodeNames[Int(flags & 0xF)] ?? "rcode \(flags & 0xF)"]
        if flags & 0x0400 != 0 { parts.append("authoritative") }
        if flags & 0x0200 != 0 { parts.append("truncated (TC: ask again over TCP)") }
        parts.append(flags & 0x0080 != 0 ? "recursion available" : "recursion not available")
        return parts.joined(separator: ", ")
    }

    /// The header field by field, then every byte with its offset.
    static func describe(_ bytes: [UInt8], into out: inout TextBuffer) {
        guard bytes.count >= DNSHeader.length else { return dump(bytes, title: "message", into: &out) }
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        func count(_ offset: Int) -> Int { Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) }
        out.append(string: ";;     id \(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))")
        out.append(
            string: "  QR=\(flags >> 15) opcode=\((flags >> 11) & 0xF) AA=\((flags >> 10) & 1) TC=\((flags >> 9) & 1)")
        out.append(string: " RD=\((flags >> 8) & 1) RA=\((flags >> 7) & 1) rcode=\(flags & 0xF)")
        out.append(string: "  QDCOUNT=\(count(4)) ANCOUNT=\(count(6)) NSCOUNT=\(count(8)) ARCOUNT=\(count(10))\n")
        dump(bytes, title: nil, into: &out)
    }

    static func dump(_ bytes: [UInt8], title: String?, into out: inout TextBuffer) {
        if let title { out.append(string: ";; \(title), \(bytes.count) bytes:\n") }
        var offset = 0
        while offset < bytes.count {
            let row = bytes[offset..<min(offset + 16, bytes.count)]
            var line = ";;     " + String(offset, radix: 16).leftPadded(4) + "  "
            line += row.map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
            line += String(repeating: " ", count: (16 - row.count) * 3) + "  "
            line += String(row.map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "." })
            out.append(string: line + "\n")
            offset += 16
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
