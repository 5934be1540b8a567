/// ICMPv6 as print-icmp6.c writes it for errors, echo, neighbor discovery and MLD.
extension TcpdumpPrinter {
    mutating func printICMPv6(
        _ message: ByteView, length: Int, ip: IPContext, fragmented: Bool, into out: inout TextBuffer
    ) throws(Truncated) {
        layer = "icmp6"
        if length == 0 {
            out.append("ICMP6, length 0 (invalid)")
            return
        }
        guard let icmp = ICMPv6Header(message) else { throw Truncated() }
        let type = icmp.type
        if verbosity > 0 && !fragmented && message.count >= length {
            let field = try icmp.checksum.orTruncated()
            let sum = ip.transportChecksum(message.prefix(length), protocol: IPProtocol.icmpv6)
            if sum != 0 {
                out.append("[bad icmp6 cksum 0x")
                out.append(hex: UInt64(field), minDigits: 4)
                out.append(" -> 0x")
                out.append(hex: UInt64(InternetChecksum.shouldBe(field: field, computed: sum)), minDigits: 4)
                out.append("!] ")
            } else {
                out.append("[icmp6 sum ok] ")
            }
        }
        out.append("ICMP6, ")
        if let name = ICMPv6Header.typeName(type) {
            out.append(name)
        } else {
            out.append("unknown icmp6 type (")
            out.append(type)
            out.append(")")
        }
        if verbosity > 0
            && [133, 134, 135, 136, 137, 145, 147].contains(type)
        {
            out.append(", length ")
            out.append(length)
        }
        // Read only now: tcpdump prints the name (and -v length) before it needs the code.
        let code = try icmp.code.orTruncated()
        let quoted = message.dropFirst(ICMPv6Header.length)
        switch type {
        case ICMPv6Header.destinationUnreachable:
            out.append(", ")
            switch code {
            case 0: out.append("unreachable route")
            case 1: out.append(" unreachable prohibited")  // tcpdump's format has the extra space
            case 2: out.append("beyond scope")
            case 3: out.append("unreachable address")
            case 4: out.append("unreachable port")
            default:
                out.append("unknown unreach code (")
                out.append(code)
                out.append(")")
            }
            switch code {
            case 0, 1, 3:
                guard quoted.has(24, 16) else { throw Truncated() }
                out.append(" ")
                out.append(ipv6: quoted.dropFirst(24))
            case 2:
                guard quoted.has(8, 32) else { throw Truncated() }
                out.append(" ")
                out.append(ipv6: quoted.dropFirst(24))
                out.append(", source address ")
                out.append(ipv6: quoted.dropFirst(8))
            case 4:
                guard let inner = IPv6Header(quoted) else { throw Truncated() }
                let (proto, transport) = try Self.upperLayer(quoted, nextHeader: inner.nextHeader)
                let port = try transport.be16(2).orTruncated()
                out.append(", ")
                out.append(ipv6: inner.destination)
                switch proto {
                case IPProtocol.tcp: out.append(" tcp port ")
                case IPProtocol.udp: out.append(" udp port ")
                default:
                    out.append(" protocol ")
                    out.append(proto)
                    out.append(" port ")
                    out.append(port)
                    out.append(" unreachable")
                }
                if proto == IPProtocol.tcp || proto == IPProtocol.udp { out.append(port) }
            default:
                if verbosity <= 1 {
                    appendUnknownData(message, length: length, into: &out)
                    return
                }
            }
        case ICMPv6Header.packetTooBig:
            let mtu = try message.be32(4).orTruncated()
            out.append(", mtu ")
            out.append(mtu)
        case ICMPv6Header.timeExceeded:
            switch code {
            case 0:
                guard quoted.has(24, 16) else { throw Truncated() }
                out.append(" for ")
                out.append(ipv6: quoted.dropFirst(24))
            case 1: out.append(" (reassembly)")
            default:
                out.append(", unknown code (")
                out.append(code)
                out.append(")")
            }
        case ICMPv6Header.parameterProblem:
            guard quoted.has(24, 16) else { throw Truncated() }
            let pointer = try message.be32(4).orTruncated()
            switch code {
            case 0: out.append(", erroneous - octet ")
            case 1: out.append(", next header - octet ")
            case 2: out.append(", option - octet ")
            case 3: out.append(", incomplete header chain - octet ")
            default:
                out.append(", code-#")
                out.append(code)
            }
            if code <= 3 { out.append(pointer) }
        case ICMPv6Header.echoRequest, ICMPv6Header.echoReply:
            // Like tcpdump's ND_PRINT arguments, both fields are read before anything is printed.
            let identifier = try message.be16(4).orTruncated()
            let sequence = try message.be16(6).orTruncated()
            out.append(", id ")
            out.append(identifier)
            out.append(", seq ")
            out.append(sequence)
        case ICMPv6Header.listenerQuery:
            if length == 24 {
                try appendMLDv1(message, into: &out)
            } else if length >= 28 {
                out.append(" v2")
                try appendMLDv2Query(message, length: length, into: &out)
            } else {
                out.append(" unknown-version (len ")
                out.append(length)
                out.append(") ")
            }
        case ICMPv6Header.listenerReport, ICMPv6Header.listenerDone:
            try appendMLDv1(message, into: &out)
        case ICMPv6Header.listenerReportV2:
            try appendMLDv2Report(message, length: length, into: &out)
        case ICMPv6Header.routerSolicitation:
            if verbosity > 0 { try printNeighborDiscoveryOptions(message.prefix(length).dropFirst(8), into: &out) }
        case ICMPv6Header.routerAdvertisement:
            if verbosity > 0 { try printRouterAdvertisement(message, length: length, into: &out) }
        case ICMPv6Header.neighborSolicitation:
            guard message.has(8, 16) else { throw Truncated() }
            out.append(", who has ")
            out.append(ipv6: message.dropFirst(8))
            if verbosity > 0 { try printNeighborDiscoveryOptions(message.prefix(length).dropFirst(24), into: &out) }
        case ICMPv6Header.neighborAdvertisement:
            guard message.has(8, 16) else { throw Truncated() }
            out.append(", tgt is ")
            out.append(ipv6: message.dropFirst(8))
            if verbosity > 0 {
                let flags = try message.be32(4).orTruncated()
                out.append(", Flags [")
                appendBits(
                    flags, [(0x8000_0000, "router"), (0x4000_0000, "solicited"), (0x2000_0000, "override")],
                    into: &out)
                out.append("]")
                try printNeighborDiscoveryOptions(message.prefix(length).dropFirst(24), into: &out)
            }
        case ICMPv6Header.redirect:
            guard message.has(8, 32) else { throw Truncated() }
            out.append(", ")
            out.append(ipv6: message.dropFirst(24))
            out.append(" to ")
            out.append(ipv6: message.dropFirst(8))
            if verbosity > 0 { try printNeighborDiscoveryOptions(message.prefix(length).dropFirst(40), into: &out) }
        case 144, 146:
            let identifier = try message.be16(4).orTruncated()  // read first: one printf in tcpdump
            out.append(", id 0x")
            out.append(hex: UInt64(identifier), minDigits: 4)
        case 147:
            // Mobile prefix advertisement (RFC 6275 §6.8): id, M and O flags, then ND options.
            if verbosity > 0 {
                let identifier = try message.be16(4).orTruncated()
                out.append(", id 0x")
                out.append(hex: UInt64(identifier), minDigits: 4)
                let flags = try message.be16(6).orTruncated()
                if flags & 0xC000 != 0 { out.append(" ") }
                if flags & 0x8000 != 0 { out.append("M") }
                if flags & 0x4000 != 0 { out.append("O") }
                try printNeighborDiscoveryOptions(message.prefix(length).dropFirst(8), into: &out)
            }
        case 145:
            // Home agent addresses (RFC 6275 §6.6), one per 16 bytes up to the message's end.
            if verbosity > 0 {
                let identifier = try message.be16(4).orTruncated()
                out.append(", id 0x")
                out.append(hex: UInt64(identifier), minDigits: 4)
                var offset = ICMPv6Header.length
                while offset < length {
                    guard message.has(offset, 16) else { throw Truncated() }
                    out.append(", ")
                    out.append(ipv6: message.dropFirst(offset))
                    offset += 16
                }
            }
        case 138, 139, 140, 141, 142, 155:
            break
        default:
            out.append(", length ")
            out.append(length)
            if verbosity <= 1 { appendUnknownData(message, length: length, into: &out) }
            return
        }
        if verbosity == 0 {
            out.append(", length ")
            out.append(length)
        }
    }

    /// print_unknown_data: the captured part of the message in hex (tcpdump 4.99.3 prints no
    /// truncation mark after it, checked against the installed tcpdump by the generated tests).
    private func appendUnknownData(_ message: ByteView, length: Int, into out: inout TextBuffer) {
        appendHex(message.prefix(length), indent: "\n\t", into: &out)
    }

    /// The transport header inside a quoted IPv6 packet, past its extension headers.
    private static func upperLayer(_ packet: ByteView, nextHeader: UInt8) throws(Truncated) -> (UInt8, ByteView) {
        var next = nextHeader
        var offset = IPv6Header.length
        for _ in 0..<16 {
            switch next {
            case IPProtocol.hopByHop, IPProtocol.destinationOptions, IPProtocol.routing:
                let header = packet.dropFirst(offset)
                guard let options = IPv6OptionsHeader(header) else { throw Truncated() }
                next = options.nextHeader
                offset += options.length
            case IPProtocol.fragment:
                guard let fragment = IPv6FragmentHeader(packet.dropFirst(offset)) else { throw Truncated() }
                next = fragment.nextHeader
                offset += IPv6FragmentHeader.length
            default:
                return (next, packet.dropFirst(offset))
            }
        }
        throw Truncated()
    }

    /// mld6_print: nothing at all unless the whole 24-byte message was captured.
    private func appendMLDv1(_ message: ByteView, into out: inout TextBuffer) throws(Truncated) {
        guard message.has(8, 16) else { return }
        out.append("max resp delay: ")
        out.append(message.be16(4)!)
        out.append(" addr: ")
        out.append(ipv6: message.dropFirst(8))
    }

    private func appendMLDv2Query(_ message: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        let code = UInt32(try message.be16(4).orTruncated())
        let delay = code < 32768 ? code : ((code & 0x0FFF) | 0x1000) << (((code & 0x7000) >> 12) + 3)
        if verbosity > 0 {
            out.append(" [max resp delay=")
            out.append(delay)
            out.append("]")
        }
        guard message.has(8, 16) else { throw Truncated() }
        out.append(" [gaddr ")
        out.append(ipv6: message.dropFirst(8))
        if verbosity > 0 {
            let flags = try message.u8(24).orTruncated()
            if flags & 0x08 != 0 { out.append(" sflag") }
            if flags & 0x07 != 0 {
                out.append(" robustness=")
                out.append(flags & 0x07)
            }
            let qqic = UInt32(try message.u8(25).orTruncated())
            let qqi = qqic < 128 ? qqic : ((qqic & 0x0F) | 0x10) << (((qqic & 0x70) >> 4) + 3)
            out.append(" qqi=")
            out.append(qqi)
        }
        let sources = Int(try message.be16(26).orTruncated())
        if sources > 0 {
            if length < 28 + sources * 16 {
                out.append(" [invalid number of sources]")
            } else {
                try appendSources(message, at: 28, count: sources, size: 16, listed: verbosity > 1, into: &out)
            }
        }
        out.append("]")
    }

    private func appendMLDv2Report(_ message: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        if length < 8 {
            out.append(" [invalid len ")
            out.append(length)
            out.append("]")
            return
        }
        try appendGroupRecords(message, length: length, size: 16, unknownType: "v2-report", into: &out)
    }
}
