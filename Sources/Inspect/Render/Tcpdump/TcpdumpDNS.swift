/// DNS over UDP as tcpdump 4.99's print-domain.c writes it with -nn and -nn -v: the header as
/// `id`, opcode, rcode and flag marks, then the question (requests) or the answers
/// (responses). Names are walked in tcpdump's order of checks, so a cut, looping or malformed
/// name prints exactly what tcpdump prints before its ` [|domain]`.
extension TcpdumpPrinter {
    /// tcpdump's ns_ops (opcode names, with their leading space).
    static let dnsOpcodes: [StaticString] = [
        "", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8", " updateA", " updateD",
        " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef",
    ]
    /// tcpdump's ns_resp, its two missing spaces included ("Resp17", "Resp21").
    static let dnsResponseCodes: [String] = [
        "", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet", " NXRRSet",
        " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange", " BadVers", "Resp17",
        " Resp18", " Resp19", " Resp20", "Resp21", " Resp22", " BadCookie",
    ]
    /// tcpdump prints at most this many characters of a name (RFC 1035's 255), then says so.
    static let dnsMaximumName = 255

    /// The text tcpdump prints after `addr.port > addr.port: ` for this DNS message sent over
    /// UDP, for showing a query or an answer the way a capture of it will look.
    public static func dnsSummary(_ message: [UInt8], verbose: Bool = false) -> String {
        var printer = TcpdumpPrinter(verbosity: verbose ? 1 : 0)
        var out = TextBuffer()
        message.withUnsafeBytes { raw in
            do {
                try printer.printDNS(ByteView(raw), length: raw.count, into: &out)
            } catch {
                out.append(" [|domain]")
            }
        }
        return out.string
    }

    /// `message`: the UDP payload as captured (up to the end of the IP packet); `length`: the
    /// payload length tcpdump passes (the UDP length, capped by the IP length).
    mutating func printDNS(_ message: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "domain"
        if length < DNSHeader.length {
            out.append("domain [length ")
            out.append(length)
            out.append(" < 12] (invalid)")
            return
        }
        guard let header = DNSHeader(message) else { throw Truncated() }
        let flags = header.flags
        let questions = header.questionCount, answers = header.answerCount
        let authorities = header.authorityCount, additionals = header.additionalCount
        let rcode = dnsExtendedResponseCode(message, header)
        var cp = DNSHeader.length
        if header.isResponse {
            out.append(header.identifier)
            out.append(Self.dnsOpcodes[header.opcode])
            out.append(
                string: rcode < Self.dnsResponseCodes.count ? Self.dnsResponseCodes[rcode] : " Resp\(rcode & 0xFFF)")
            if header.authoritative { out.append("*") }
            if !header.recursionAvailable { out.append("-") }
            if header.truncated { out.append("|") }
            if header.authenticData { out.append("$") }
            if questions != 1 {
                out.append(" [")
                out.append(questions)
                out.append("q]")
            }
            for index in 0..<questions {
                if index != 0 { out.append(",") }  // the separator of -vv's questions, printed without them
                guard let end = DNSName.skip(message, at: cp) else { throw Truncated() }
                cp = end + 4
            }
            out.append(" ")
            out.append(answers)
            out.append("/")
            out.append(authorities)
            out.append("/")
            out.append(additionals)
            var remaining = answers
            if remaining > 0 {
                guard let next = try printDNSRecord(message, at: cp, into: &out) else { throw Truncated() }
                cp = next
                remaining -= 1
                while cp < message.count && remaining > 0 {
                    out.append(",")
                    guard let next = try printDNSRecord(message, at: cp, into: &out) else { throw Truncated() }
                    cp = next
                    remaining -= 1
                }
            }
            if remaining > 0 { throw Truncated() }
        } else {
            out.append(header.identifier)
            out.append(Self.dnsOpcodes[header.opcode])
            if header.recursionDesired { out.append("+") }
            if header.checkingDisabled { out.append("%") }
            if flags & 0x6CF != 0 {
                out.append(" [b2&3=0x")
                out.append(hex: UInt64(flags))
                out.append("]")
            }
            if header.opcode == 1 {
                if questions != 0 { appendCount(questions, "q", into: &out) }
                if answers != 1 { appendCount(answers, "a", into: &out) }
            } else {
                if answers != 0 { appendCount(answers, "a", into: &out) }
                if questions != 1 { appendCount(questions, "q", into: &out) }
            }
            if authorities != 0 { appendCount(authorities, "n", into: &out) }
            if additionals != 0 { appendCount(additionals, "au", into: &out) }
            var remaining = questions
            if remaining > 0 {
                cp = try printDNSQuestion(message, at: cp, into: &out)
                remaining -= 1
                while cp < message.count && remaining > 0 {
                    cp = try printDNSQuestion(message, at: cp, into: &out)
                    remaining -= 1
                }
            }
            if remaining > 0 { throw Truncated() }
        }
        out.append(" (")
        out.append(length)
        out.append(")")
    }

    private func appendCount(_ count: Int, _ suffix: StaticString, into out: inout TextBuffer) {
        out.append(" [")
        out.append(count)
        out.append(suffix)
        out.append("]")
    }

    /// The response code with the OPT record's upper bits (RFC 6891 §6.1.3), found the way
    /// tcpdump finds it before printing anything: skipping every record before the first OPT.
    private func dnsExtendedResponseCode(_ message: ByteView, _ header: DNSHeader) -> Int {
        var rcode = header.rcode
        var cp = DNSHeader.length
        let end = message.count
        for _ in 0..<header.questionCount {
            guard let next = DNSName.skip(message, at: cp) else { return rcode }
            cp = next + 4
            if cp >= end { return rcode }
        }
        for _ in 0..<(header.answerCount + header.authorityCount) {
            guard let next = DNSName.skip(message, at: cp) else { return rcode }
            cp = next + 8
            guard let rdlength = message.be16(cp) else { return rcode }
            cp += 2 + Int(rdlength)
            if cp >= end { return rcode }
        }
        for _ in 0..<header.additionalCount {
            guard let next = DNSName.skip(message, at: cp) else { return rcode }
            cp = next
            guard let type = message.be16(cp) else { return rcode }
            if type == DNSType.opt {
                guard let high = message.u8(cp + 4) else { return rcode }
                return rcode | Int(high) << 4
            }
            cp += 8
            guard let rdlength = message.be16(cp) else { return rcode }
            cp += 2 + Int(rdlength)
            if cp >= end { return rcode }
        }
        return rcode
    }

    /// ns_qprint: ` TYPE[ CLASS]? name`; the offset after the question.
    private mutating func printDNSQuestion(_ message: ByteView, at start: Int, into out: inout TextBuffer)
        throws(Truncated) -> Int
    {
        guard let cp = DNSName.skip(message, at: start), message.has(cp, 4) else { throw Truncated() }
        out.append(" ")
        out.append(string: DNSType.name(message.be16(cp)!))
        let dnsClass = message.be16(cp + 2)!
        if dnsClass != DNSClass.internet { appendDNSClass(dnsClass, into: &out) }
        out.append("? ")
        guard let end = try printDNSName(message, at: start, into: &out) else { throw Truncated() }
        return end + 4
    }

    private func appendDNSClass(_ value: UInt16, into out: inout TextBuffer) {
        out.append(" ")
        if let name = DNSClass.names[value] {
            out.append(string: name)
        } else {
            out.append("(Class ")
            out.append(value)
            out.append(")")
        }
    }

    /// ns_rprint: one resource record; the offset after it, or nil where tcpdump gives up on
    /// the packet (it then prints its truncation mark). A record whose fixed fields were not
    /// captured ends the list quietly (tcpdump returns the end of the capture).
    private mutating func printDNSRecord(_ message: ByteView, at start: Int, into out: inout TextBuffer)
        throws(Truncated) -> Int?
    {
        var cp: Int?
        if verbosity > 0 {
            out.append(" ")
            guard let end = try printDNSName(message, at: start, into: &out) else { return nil }
            cp = end
        } else {
            cp = DNSName.skip(message, at: start)
        }
        guard var cp, message.has(cp, 10) else { return message.count }
        let type = message.be16(cp)!
        let dnsClass = message.be16(cp + 2)!
        if dnsClass != DNSClass.internet && type != DNSType.opt { appendDNSClass(dnsClass, into: &out) }
        var optFlags: UInt16 = 0
        if type == DNSType.opt { optFlags = message.be16(cp + 6)! }
        cp += 8
        let rdlength = Int(message.be16(cp)!)
        cp += 2
        let rp = cp + rdlength
        out.append(" ")
        out.append(string: DNSType.name(type))
        if rp > message.count { return nil }
        switch type {
        case DNSType.a:
            guard message.has(cp, 4) else { return nil }
            out.append(" ")
            out.append(ipv4: message.dropFirst(cp).prefix(4))
        case DNSType.ns, DNSType.cname, DNSType.ptr, DNSType.dname:
            out.append(" ")
            if try printDNSName(message, at: cp, into: &out) == nil { return nil }
        case DNSType.soa:
            guard verbosity > 0 else { break }
            out.append(" ")
            guard let mname = try printDNSName(message, at: cp, into: &out) else { return nil }
            out.append(" ")
            guard var next = try printDNSName(message, at: mname, into: &out) else { return nil }
            for _ in 0..<5 {
                out.append(" ")
                out.append(try message.be32(next).orTruncated())
                next += 4
            }
        case DNSType.mx:
            out.append(" ")
            guard message.has(cp, 2) else { return nil }
            if try printDNSName(message, at: cp + 2, into: &out) == nil { return nil }
            out.append(" ")
            out.append(try message.be16(cp).orTruncated())
        case DNSType.txt:
            while cp < rp {
                out.append(" \"")
                guard let count = message.u8(cp) else { return nil }
                if !printDNSCharacters(message, from: cp + 1, count: Int(count), into: &out) { return nil }
                cp += 1 + Int(count)
                out.append("\"")
            }
        case DNSType.srv:
            out.append(" ")
            guard message.has(cp, 6) else { return nil }
            if try printDNSName(message, at: cp + 6, into: &out) == nil { return nil }
            out.append(":")
            out.append(try message.be16(cp + 4).orTruncated())
            out.append(" ")
            out.append(try message.be16(cp).orTruncated())
            out.append(" ")
            out.append(try message.be16(cp + 2).orTruncated())
        case DNSType.aaaa:
            guard message.has(cp, 16) else { return nil }
            out.append(" ")
            out.append(ipv6: message.dropFirst(cp).prefix(16))
        case DNSType.a6:
            let prefixBits = Int(try message.u8(cp).orTruncated())
            let prefixBytes = (prefixBits & ~7) / 8
            if prefixBits > 128 {
                out.append(" ")
                out.append(prefixBits)
                out.append("(bad plen)")
                break
            } else if prefixBits < 128 {
                guard message.has(cp + 1, 16 - prefixBytes) else { throw Truncated() }
                var address = [UInt8](repeating: 0, count: 16)
                for index in 0..<(16 - prefixBytes) { address[prefixBytes + index] = message.u8(cp + 1 + index)! }
                out.append(" ")
                out.append(prefixBits)
                out.append(" ")
                address.withUnsafeBytes { out.append(ipv6: ByteView($0)) }
            }
            if prefixBits > 0 {
                out.append(" ")
                if try printDNSName(message, at: cp + 1 + 16 - prefixBytes, into: &out) == nil { return nil }
            }
        case DNSType.uri:
            guard message.has(cp, rdlength) else { return nil }
            out.append(" ")
            out.append(try message.be16(cp).orTruncated())
            out.append(" ")
            out.append(try message.be16(cp + 2).orTruncated())
            out.append(" ")
            // An rdlength under 4 wraps around in tcpdump's unsigned arithmetic: it prints to the
            // end of the capture and gives up.
            let count = rdlength >= 4 ? rdlength - 4 : Int(UInt32.max) - 3 + rdlength
            if !printDNSCharacters(message, from: cp + 4, count: count, into: &out) { return nil }
        case DNSType.tsig:
            guard verbosity > 0 else { break }
            out.append(" ")
            guard var next = try printDNSName(message, at: cp, into: &out) else { return nil }
            next += 6  // the signing time
            let fudge = try message.be16(next).orTruncated()
            out.append(" fudge=")
            out.append(fudge)
            next += 2
            let macLength = Int(try message.be16(next).orTruncated())
            out.append(" maclen=")
            out.append(macLength)
            next += 2 + macLength
            // Each field is read before its label is printed (one ND_PRINT each in tcpdump).
            let originalID = try message.be16(next).orTruncated()
            out.append(" origid=")
            out.append(originalID)
            let error = try message.be16(next + 2).orTruncated()
            out.append(" error=")
            out.append(error)
            let otherLength = try message.be16(next + 4).orTruncated()
            out.append(" otherlen=")
            out.append(otherLength)
        case DNSType.unspecA:
            // "One long string", printed right after the type name.
            guard message.has(cp, rdlength) else { return nil }
            if !printDNSCharacters(message, from: cp, count: rdlength, into: &out) { return nil }
        case DNSType.opt:
            out.append(" UDPsize=")
            out.append(dnsClass)
            if optFlags & 0x8000 != 0 { out.append(" DO") }
            if cp < rp {
                out.append(" [")
                while cp < rp {
                    guard let next = try printEDNSOption(message, at: cp, into: &out) else { return nil }
                    cp = next
                    if cp < rp { out.append(",") }
                }
                out.append("]")
            }
        default:
            break
        }
        return rp
    }

    /// tcpdump's edns_opt2str.
    static let ednsOptionNames: [UInt16: StaticString] = [
        1: "LLQ", 2: "UL", 3: "NSID", 5: "DAU", 6: "DHU", 7: "N3U", 8: "ECS", 9: "EXPIRE", 10: "COOKIE",
        11: "KEEPALIVE", 12: "PADDING", 13: "CHAIN", 14: "KEY-TAG", 16: "CLIENT-TAG", 17: "SERVER-TAG",
    ]

    /// An EDNS option (RFC 6891 §6.1.2) as `NAME`; nil when its data was not captured. The data
    /// of an option is not decoded (a known difference: tcpdump decodes some of them).
    private func printEDNSOption(_ message: ByteView, at cp: Int, into out: inout TextBuffer) throws(Truncated)
        -> Int?
    {
        let code = try message.be16(cp).orTruncated()
        let length = Int(try message.be16(cp + 2).orTruncated())
        if let name = Self.ednsOptionNames[code] {
            out.append(name)
        } else {
            out.append("Opt")
            out.append(code)
        }
        guard message.has(cp + 4, length) else { return nil }
        return cp + 4 + length
    }

    /// nd_printn: `count` bytes as fn_print_char shows them; false when the capture ends first.
    private func printDNSCharacters(_ message: ByteView, from start: Int, count: Int, into out: inout TextBuffer)
        -> Bool
    {
        var index = 0
        while index < count && start + index < message.count {
            appendPrintable(message.u8(start + index)!, into: &out)
            index += 1
        }
        return index >= count
    }

    /// tcpdump's fn_print_char: ASCII as it is, the high bit as `M-`, control characters as `^X`.
    func appendPrintable(_ value: UInt8, into out: inout TextBuffer) {
        var byte = value
        if byte >= 0x80 {
            byte &= 0x7F
            out.append("M-")
        }
        if byte < 0x20 || byte == 0x7F {
            byte ^= 0x40
            out.append("^")
        }
        out.append(byte: byte)
    }

    /// labellen: the length tcpdump steps by for the label at `offset`; nil (after printing
    /// tcpdump's mark for an unknown extended type or a reserved label) where it gives up.
    private func dnsLabelLength(_ message: ByteView, at offset: Int, into out: inout TextBuffer) -> Int? {
        switch DNSName.kind(message, at: offset) {
        case .truncated: return nil
        case .label(let length): return length
        case .pointer: return Int(message.u8(offset)!)
        case .bitLabel(let bytes): return bytes + 1
        case .unknownExtended(let type):
            out.append("<ELT ")
            out.append(type)
            out.append(">")
            return nil
        case .reserved:
            out.append("<BAD LABEL TYPE>")
            return nil
        }
    }

    /// fqdn_print: the name at `start`, pointers followed backwards only; the offset after the
    /// name where it was written, or nil where tcpdump gives up.
    mutating func printDNSName(_ message: ByteView, at start: Int, into out: inout TextBuffer) throws(Truncated)
        -> Int?
    {
        guard var length = dnsLabelLength(message, at: start, into: &out) else { return nil }
        guard var label = message.u8(start) else { return nil }
        var maximumOffset = start
        var cp = start + 1
        var rp = 0
        var compressed = false
        if label & 0xC0 != 0xC0 { rp = cp + length }
        var nameCharacters = 0
        guard label != 0 else {
            out.append(".")
            return rp
        }
        while label != 0 && cp < message.count {
            if label & 0xC0 == 0xC0 {
                if !compressed {
                    rp = cp + 1
                    compressed = true
                }
                guard let low = message.u8(cp) else { return nil }
                let offset = (Int(label) << 8 | Int(low)) & 0x3FFF
                if offset >= maximumOffset {
                    out.append("<BAD PTR>")
                    return nil
                }
                maximumOffset = offset
                cp = offset
                guard let next = message.u8(cp) else { return nil }
                label = next
                guard let nextLength = dnsLabelLength(message, at: cp, into: &out) else { return nil }
                length = nextLength
                cp += 1
                continue
            }
            if label & 0xC0 == 0x40 {
                // Only bit labels get here: labellen refused every other extended type.
                try printDNSBitLabel(message, at: cp, into: &out)
            } else {
                let limit = Self.dnsMaximumName
                if nameCharacters + length <= limit {
                    if !printDNSCharacters(message, from: cp, count: length, into: &out) { return nil }
                } else if nameCharacters < limit {
                    if !printDNSCharacters(message, from: cp, count: limit - nameCharacters, into: &out) {
                        return nil
                    }
                }
                nameCharacters += length
            }
            cp += length
            if nameCharacters <= Self.dnsMaximumName { out.append(".") }
            nameCharacters += 1
            guard let next = message.u8(cp) else { return nil }
            label = next
            guard let nextLength = dnsLabelLength(message, at: cp, into: &out) else { return nil }
            length = nextLength
            cp += 1
            if !compressed { rp += length + 1 }
        }
        if nameCharacters > Self.dnsMaximumName { out.append("<DOMAIN NAME TOO LONG>") }
        return rp
    }

    /// blabel_print: an RFC 2673 bit label as `\[xHEX/BITS]`.
    private func printDNSBitLabel(_ message: ByteView, at cp: Int, into out: inout TextBuffer) throws(Truncated) {
        let count = try message.u8(cp).orTruncated()
        let bits = count == 0 ? 256 : Int(count)
        let digits = (bits + 3) / 4
        let limit = cp + 1 + digits
        out.append("\\[x")
        var pointer = cp + 1
        var remaining = bits
        while pointer < limit && remaining > 7 {
            out.append(hex: UInt64(try message.u8(pointer).orTruncated()), minDigits: 2)
            remaining -= 8
            pointer += 1
        }
        if remaining > 4 {
            let value = try message.u8(pointer).orTruncated()
            out.append(hex: UInt64(value & UInt8(truncatingIfNeeded: 0xFF << (8 - remaining))), minDigits: 2)
        } else if remaining > 0 {
            let value = try message.u8(pointer).orTruncated()
            out.append(hex: UInt64((value >> 4) & 0x0F & UInt8(truncatingIfNeeded: 0x0F << (4 - remaining))))
        }
        out.append("/")
        out.append(bits)
        out.append("]")
    }
}
