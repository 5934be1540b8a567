import Inspect

/// Answers DNS queries from a zone, as an authoritative server with no recursion: the
/// records asked for, a CNAME chain within the zone, NXDOMAIN or "no data" with the zone's SOA,
/// REFUSED outside the zone, FORMERR and NOTIMP for what it cannot read or do. Pure: bytes in,
/// bytes out, so it is tested without sockets.
public struct DNSResponder: Sendable {
    public let zone: DNSZone

    public init(zone: DNSZone) { self.zone = zone }

    /// What happened to one query, for the log and the summary.
    public struct Outcome: Sendable {
        public var question: String
        public var rcode: Int
        public var answers: Int
        public var truncated: Bool
    }

    public static let rcodeNames = [
        0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
    ]

    /// The response to `query`, or nil when it should be dropped (not even a DNS header, or
    /// itself a response: answering those could start a loop between two servers).
    public func respond(to query: [UInt8]) -> (bytes: [UInt8], outcome: Outcome)? {
        guard query.count >= DNSHeader.length else { return nil }
        let identifier = UInt16(query[0]) << 8 | UInt16(query[1])
        let queryFlags = UInt16(query[2]) << 8 | UInt16(query[3])
        guard queryFlags & 0x8000 == 0 else { return nil }
        // QR, opcode copied, AA, RD copied; RA clear: this server does not recurse.
        let baseFlags: UInt16 = 0x8000 | (queryFlags & 0x7800) | 0x0400 | (queryFlags & 0x0100)
        func fail(_ rcode: UInt16, _ why: String, questions: [DNSMessage.Question] = []) -> ([UInt8], Outcome) {
            var response = DNSMessage(identifier: identifier, flags: (baseFlags & ~0x0400) | rcode)
            response.questions = questions
            return (response.encode(), Outcome(question: why, rcode: Int(rcode), answers: 0, truncated: false))
        }
        let message: DNSMessage
        switch DNSMessage.decode(query) {
        case .failure(let problem): return fail(1, "malformed: \(problem)")
        case .success(let decoded): message = decoded
        }
        guard (queryFlags >> 11) & 0xF == 0 else {
            return fail(4, "opcode \((queryFlags >> 11) & 0xF)", questions: message.questions)
        }
        guard message.questions.count == 1, let question = message.questions.first else {
            return fail(1, "\(message.questions.count) questions (one expected)", questions: message.questions)
        }
        let asked = "\(DNSType.name(question.type)) \(DNSName.text(question.name))"
        guard question.dnsClass == DNSClass.internet || question.dnsClass == 255 else {
            return fail(5, asked + " in class \(question.dnsClass)", questions: [question])
        }
        guard zone.origins.contains(where: { DNSZone.isWithin(question.name, $0) }) else {
            return fail(5, asked + " (outside this server's zone)", questions: [question])
        }
        var response = DNSMessage(identifier: identifier, flags: baseFlags)
        response.questions = [question]
        // Follow CNAMEs inside the zone, at most 8, as resolvers expect the chain in one answer.
        var name = question.name
        var rcode: UInt16 = 0
        for _ in 0..<8 {
            let records = zone.records(named: name)
            if records.isEmpty {
                if response.answers.isEmpty { rcode = 3 }
                break
            }
            let matching = records.filter { question.type == DNSType.any || $0.type == question.type }
            if !matching.isEmpty {
                response.answers += matching.map(record)
                break
            }
            guard let alias = records.first(where: { $0.type == DNSType.cname }), case .name(let target) = alias.data
            else { break }
            response.answers.append(record(alias))
            name = target
            guard zone.origins.contains(where: { DNSZone.isWithin(target, $0) }) else { break }
        }
        if response.answers.isEmpty,
            let soa = zone.entries.first(where: { entry in
                entry.type == DNSType.soa && DNSZone.isWithin(question.name, entry.name)
            })
        {
            response.authorities = [record(soa)]
        }
        response.flags |= rcode
        // A client without EDNS accepts 512 bytes (RFC 1035 §4.2.1); with EDNS, what it said.
        var limit = 512
        if let opt = message.additionals.first(where: { $0.type == DNSType.opt }) {
            limit = max(512, min(Int(opt.dnsClass), 4096))
            response.additionals = [
                DNSMessage.Record(name: [], type: DNSType.opt, dnsClass: 4096, ttl: 0, data: .raw([]))
            ]
        }
        var bytes = response.encode()
        var truncated = false
        if bytes.count > limit {
            truncated = true
            var cut = DNSMessage(identifier: identifier, flags: response.flags | 0x0200)
            cut.questions = [question]
            bytes = cut.encode()
        }
        return (
            bytes,
            Outcome(
                question: asked, rcode: Int(rcode), answers: truncated ? 0 : response.answers.count,
                truncated: truncated)
        )
    }

    private func record(_ entry: DNSZone.Entry) -> DNSMessage.Record {
        DNSMessage.Record(name: entry.name, type: entry.type, ttl: entry.ttl, data: entry.data)
    }
}
