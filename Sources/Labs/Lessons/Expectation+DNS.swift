import Inspect

/// Lesson 14's checks: DNS queries and responses, decoded from any UDP port (tcpdump decodes
/// DNS only on port 53, so on the lesson's ports it prints "UDP, length N"; the check reads
/// the payload itself).
extension Expectation {
    /// A query and the response that answers it.
    public struct DNSExchange: Sendable {
        public var query: DNSMessage
        public var queryFrame: Int
        public var response: DNSMessage?
        public var responseFrame: Int?
    }

    /// Queries (QR clear, one question or more) paired with the first later response from the
    /// port they went to, back to the port they came from, with the same id and question.
    public static func dnsExchanges(_ facts: CaptureFacts) -> [DNSExchange] {
        var exchanges: [DNSExchange] = []
        var decoded: [(Datagram, DNSMessage)] = []
        for datagram in facts.datagrams {
            guard case .success(let message) = DNSMessage.decode(datagram.payload), !message.questions.isEmpty
            else { continue }
            decoded.append((datagram, message))
        }
        for (datagram, query) in decoded where !query.isResponse {
            let response = decoded.first { candidate, message in
                candidate.frame > datagram.frame && message.isResponse && message.identifier == query.identifier
                    && message.questions == query.questions && candidate.sourcePort == datagram.destinationPort
                    && candidate.destinationPort == datagram.sourcePort
            }
            exchanges.append(
                DNSExchange(
                    query: query, queryFrame: datagram.frame, response: response?.1, responseFrame: response?.0.frame))
        }
        return exchanges
    }

    static func question(_ message: DNSMessage) -> String {
        guard let question = message.questions.first else { return "?" }
        return "\(DNSType.name(question.type)) \(DNSName.text(question.name))"
    }

    func evaluateDNSAnswered(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let exchanges = Self.dnsExchanges(facts)
        guard !exchanges.isEmpty else {
            let note = facts.datagrams.isEmpty ? "no UDP datagram at all" : "\(facts.datagrams.count) UDP datagrams"
            return (false, "no DNS query in the capture (\(note))")
        }
        let answered = exchanges.filter { $0.response != nil }
        var found =
            "\(exchanges.count) DNS quer\(exchanges.count == 1 ? "y" : "ies"), \(answered.count) answered with the same id and question"
        let lost = exchanges.filter { $0.response == nil }
        if !lost.isEmpty {
            found +=
                "; no answer to "
                + lost.prefix(3).map { "id \($0.query.identifier) \(Self.question($0.query))" }.joined(separator: ", ")
                + " (UDP: no server answered; the client learns it only from its timeout, or from an ICMP port "
                + "unreachable)"
        }
        return (answered.count >= number, found)
    }

    func evaluateDNSRcode(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let responses = Self.dnsExchanges(facts).compactMap(\.response)
        func name(_ code: Int) -> String { code < Self.dnsRcodes.count ? Self.dnsRcodes[code] : "RCODE\(code)" }
        let matching = responses.filter { name($0.rcode) == argument }
        if let first = matching.first {
            return (true, "\(Self.question(first)) answered \(argument ?? "")")
        }
        let seen = Set(responses.map { name($0.rcode) }).sorted()
        return (false, "rcodes seen: \(seen.isEmpty ? "none (no answered query)" : seen.joined(separator: ", "))")
    }

    /// A response whose answers hold a CNAME for the question's name, then a record for the
    /// CNAME's target (the server followed the chain).
    func evaluateDNSCNAME(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let responses = Self.dnsExchanges(facts).compactMap(\.response)
        for response in responses {
            guard let question = response.questions.first else { continue }
            var name = question.name
            var chain = [DNSName.text(name)]
            // Bounded: at most one step per answer record.
            for _ in response.answers {
                guard
                    let alias = response.answers.first(where: {
                        $0.type == DNSType.cname && Self.sameName($0.name, name)
                    }), case .name(let target) = alias.data
                else { break }
                name = target
                chain.append(DNSName.text(target))
            }
            let final = name
            if chain.count > 1,
                response.answers.contains(where: { $0.type == question.type && Self.sameName($0.name, final) })
            {
                return (true, chain.joined(separator: " → ") + " (\(DNSType.name(question.type)))")
            }
        }
        return (false, "no answer with a CNAME (\(responses.count) response\(responses.count == 1 ? "" : "s") seen)")
    }

    /// DNS names compare without regard to ASCII case (RFC 4343).
    static func sameName(_ left: [[UInt8]], _ right: [[UInt8]]) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }
        return left.count == right.count
            && zip(left, right).allSatisfy { $0.count == $1.count && zip($0, $1).allSatisfy { lower($0) == lower($1) } }
    }
}
