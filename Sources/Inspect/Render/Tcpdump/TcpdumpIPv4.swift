/// The IP layer a transport header was carried in: what TCP, UDP and ICMP need from it
/// (addresses, the header's own protocol field, and the pseudo-header for checksums).
struct IPContext {
    enum Header {
        case v4(IPv4Header)
        case v6(IPv6Header)
    }
    var header: Header
    /// `ip_p` / `ip6_nxt` of the fixed header: when it is not the transport's own number,
    /// extension headers came between and tcpdump prints ports without addresses.
    var headerProtocol: UInt8
    /// The destination for the pseudo-header: the final hop of an IPv4 source route or an
    /// IPv6 routing header.
    var finalDestination: ByteView

    var source: ByteView {
        switch header {
        case .v4(let ip): ip.source
        case .v6(let ip): ip.source
        }
    }
    var destination: ByteView {
        switch header {
        case .v4(let ip): ip.destination
        case .v6(let ip): ip.destination
        }
    }
    var isIPv6: Bool {
        if case .v6 = header { return true }
        return false
    }

    /// The transport checksum over `segment` (0 when correct).
    func transportChecksum(_ segment: ByteView, protocol proto: UInt8) -> UInt16 {
        let pseudo: UInt32
        switch header {
        case .v4:
            var sum = InternetChecksum.partialSum(source)
            sum &+= InternetChecksum.partialSum(finalDestination)
            pseudo = sum &+ UInt32(proto) &+ UInt32(segment.count & 0xFFFF)
        case .v6:
            var sum = InternetChecksum.partialSum(source)
            sum &+= InternetChecksum.partialSum(finalDestination)
            sum &+= UInt32(truncatingIfNeeded: segment.count >> 16) &+ UInt32(segment.count & 0xFFFF)
            pseudo = sum &+ UInt32(proto)
        }
        return InternetChecksum.finish(InternetChecksum.partialSum(segment, initial: pseudo))
    }
}

extension TcpdumpPrinter {
    func appendAddress(_ view: ByteView, into out: inout TextBuffer) {
        if view.count == 16 { out.append(ipv6: view) } else { out.append(ipv4: view) }
    }

    /// `address.port`, as TCP and UDP lines write each end (IPv4 ends from the cache).
    mutating func appendEndpoint(_ address: ByteView, port: UInt16, into out: inout TextBuffer) {
        if address.count == 4 {
            endpoints.append(address: address.be32(0)!, port: port, into: &out)
        } else {
            appendAddress(address, into: &out)
            out.append(byte: UInt8(ascii: "."))
            out.append(port)
        }
    }

    /// IPv4, as print-ip.c writes it.
    mutating func printIPv4(_ bytes: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "ip"
        let first = try bytes.u8(0).orTruncated()
        let version = first >> 4
        if version != 4 {
            if version == 6 {
                out.append("IP6, wrong link-layer encapsulation")
            } else {
                out.append("IP")
                out.append(version)
            }
            out.append(" (invalid)")
            return
        }
        out.append("IP ")
        guard let ip = IPv4Header(bytes) else { throw Truncated() }
        if length < IPv4Header.minimumLength {
            out.append("truncated-ip ")
            out.append(length)
            return
        }
        let headerLength = ip.headerLength
        if headerLength < IPv4Header.minimumLength {
            out.append("bad-hlen ")
            out.append(headerLength)
            return
        }
        let totalLength = Int(ip.totalLength)
        if length < totalLength {
            out.append("truncated-ip - ")
            out.append(totalLength - length)
            out.append(" bytes missing! ")
        }
        if totalLength < headerLength {
            out.append("bad-len ")
            out.append(totalLength)
            return
        }
        // Cut Ethernet padding: the IP packet ends where its total length says.
        let packet = bytes.prefix(totalLength)
        let payloadLength = totalLength - headerLength
        let flagsAndOffset = ip.flagsAndOffset
        let proto = ip.proto

        if verbosity > 0 {
            try printIPv4Verbose(ip, packet: packet, into: &out)
        }

        if flagsAndOffset & IPv4Header.offsetMask == 0 {
            if proto != IPProtocol.tcp && proto != IPProtocol.udp && proto != IPProtocol.sctp
                && proto != IPProtocol.dccp
            {
                out.append(ipv4: ip.source)
                out.append(" > ")
                out.append(ipv4: ip.destination)
                out.append(": ")
            }
            guard packet.count >= headerLength else {
                out.append(" [remaining caplen(")
                out.append(packet.count)
                out.append(") < header length(")
                out.append(headerLength)
                out.append(")]")
                throw Truncated()
            }
            let context = IPContext(header: .v4(ip), headerProtocol: proto, finalDestination: ip.finalDestination)
            try printIPPayload(
                packet.dropFirst(headerLength), length: payloadLength, nextProtocol: proto,
                fragmented: flagsAndOffset & IPv4Header.flagMoreFragments != 0, ip: context, into: &out)
        } else {
            out.append(ipv4: ip.source)
            out.append(" > ")
            out.append(ipv4: ip.destination)
            out.append(": ip-proto-")
            out.append(proto)
        }
    }

    private mutating func printIPv4Verbose(_ ip: IPv4Header, packet: ByteView, into out: inout TextBuffer)
        throws(Truncated)
    {
        let tos = ip.tos
        out.append("(tos 0x")
        out.append(hex: UInt64(tos))
        switch tos & 0x03 {
        case 1: out.append(",ECT(1)")
        case 2: out.append(",ECT(0)")
        case 3: out.append(",CE")
        default: break
        }
        if ip.ttl >= 1 {
            out.append(", ttl ")
            out.append(ip.ttl)
        }
        out.append(", id ")
        out.append(ip.identification)
        out.append(", offset ")
        out.append(ip.fragmentOffset)
        out.append(", flags [")
        let flags = ip.flagsAndOffset
        var separator = false
        for (bit, name): (UInt16, StaticString) in [
            (IPv4Header.flagMoreFragments, "+"), (IPv4Header.flagDontFragment, "DF"),
            (IPv4Header.flagReserved, "rsvd"),
        ] where flags & bit != 0 {
            if separator { out.append(", ") }
            out.append(name)
            separator = true
        }
        if !separator { out.append("none") }
        out.append("], proto ")
        out.append(IPProtocol.name(ip.proto) ?? "unknown")
        out.append(" (")
        out.append(ip.proto)
        out.append("), length ")
        out.append(ip.totalLength)
        let headerLength = ip.headerLength
        var optionsTruncated = false
        if headerLength > IPv4Header.minimumLength {
            out.append(", options (")
            // The view runs past the options: tcpdump reads a last option's length byte from
            // whatever follows (then reports the length as bad).
            optionsTruncated = try !printIPv4Options(
                packet.dropFirst(IPv4Header.minimumLength),
                length: headerLength - IPv4Header.minimumLength, into: &out)
            if optionsTruncated { out.append(" [truncated-option]") }
            out.append(")")
        }
        if packet.count >= headerLength {
            let sum = InternetChecksum.compute(packet.prefix(headerLength))
            if sum != 0 {
                out.append(", bad cksum ")
                out.append(hex: UInt64(ip.checksum))
                out.append(" (->")
                out.append(hex: UInt64(InternetChecksum.shouldBe(field: ip.checksum, computed: sum)))
                out.append(")!")
            }
        }
        out.append(")\n    ")
        if optionsTruncated {
            out.append(ipv4: ip.source)
            out.append(" > ")
            out.append(ipv4: ip.destination)
            out.append(": ")
            throw Truncated()
        }
    }

    /// IPv4 options (RFC 791 §3.1) as ip_optprint writes them; false when cut by the capture.
    /// A code or length byte that was not captured ends the record (tcpdump's GET_U_1 longjmp,
    /// ` [|ip]`); an option body that was not captured returns false (` [truncated-option]`).
    private func printIPv4Options(_ view: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated)
        -> Bool
    {
        var offset = 0
        var separator = false
        while offset < length {
            if separator { out.append(",") }
            separator = true
            let code = try view.u8(offset).orTruncated()
            switch code {
            case 0: out.append("EOL")
            case 1: out.append("NOP")
            case 7: out.append("RR")
            case 68: out.append("timestamp")
            case 130: out.append("security")
            case 131: out.append("LSRR")
            case 137: out.append("SSRR")
            case 148: out.append("RA")
            case 82: out.append("traceroute")
            default:
                out.append("unknown ")
                out.append(code)
            }
            var optionLength = 1
            if code > 1 {
                let declared = try view.u8(offset + 1).orTruncated()
                optionLength = Int(declared)
                if optionLength < 2 {
                    out.append(" [bad length ")
                    out.append(optionLength)
                    out.append("]")
                    return true
                }
            }
            if optionLength > length - offset {
                out.append(" [bad length ")
                out.append(optionLength)
                out.append("]")
                return true
            }
            guard view.has(offset, optionLength) else { return false }
            switch code {
            case 0:
                return true
            case 7, 131, 137:
                printIPv4Route(view.dropFirst(offset).prefix(optionLength), into: &out)
            case 68:
                try printIPv4Timestamps(view.dropFirst(offset), length: optionLength, into: &out)
            case 148:
                if optionLength < 4 {
                    out.append(" [bad length ")
                    out.append(optionLength)
                    out.append("]")
                } else if let value = view.be16(offset + 2), value != 0 {
                    out.append(" value ")
                    out.append(value)
                }
            default:
                break
            }
            offset += optionLength
        }
        return true
    }

    private func printIPv4Route(_ option: ByteView, into out: inout TextBuffer) {
        let length = option.count
        if length < 3 {
            out.append(" [bad length ")
            out.append(length)
            out.append("]")
            return
        }
        if (length + 1) & 3 != 0 {
            out.append(" [bad length ")
            out.append(length)
            out.append("]")
        }
        let pointerField = Int(option.u8(2)!)
        let pointer = pointerField - 1
        if pointer < 3 || (pointer + 1) & 3 != 0 || pointer > length + 1 {
            out.append(" [bad ptr ")
            out.append(pointerField)
            out.append("]")
        }
        var index = 3
        while index + 4 <= length {
            out.append(" ")
            out.append(ipv4: option.dropFirst(index))
            if pointer > index { out.append(",") }
            index += 4
        }
    }

    /// tcpdump's ip_demux_print: the payload of IPv4 or of the last IPv6 extension header.
    mutating func printIPPayload(
        _ payload: ByteView, length: Int, nextProtocol: UInt8, fragmented: Bool, ip: IPContext,
        into out: inout TextBuffer
    ) throws(Truncated) {
        switch nextProtocol {
        case IPProtocol.tcp:
            try printTCP(payload, length: length, ip: ip, fragmented: fragmented, into: &out)
        case IPProtocol.udp:
            try printUDP(payload, length: length, ip: ip, fragmented: fragmented, into: &out)
        case IPProtocol.icmp:
            if ip.isIPv6 {
                out.append("[ICMP requires IPv4] (invalid)")
            } else {
                try printICMP(payload, length: length, ip: ip, fragmented: fragmented, into: &out)
            }
        case IPProtocol.icmpv6:
            if ip.isIPv6 {
                try printICMPv6(payload, length: length, ip: ip, fragmented: fragmented, into: &out)
            } else {
                out.append("[ICMPv6 requires IPv6] (invalid)")
            }
        case IPProtocol.igmp:
            if ip.isIPv6 {
                out.append("[IGMP requires IPv4] (invalid)")
            } else {
                try printIGMP(payload, length: length, into: &out)
            }
        case IPProtocol.ipip:
            try printIPv4(payload, length: length, into: &out)
        case IPProtocol.ipv6:
            try printIPv6(payload, length: length, into: &out)
        case IPProtocol.ethernet:
            if ip.isIPv6 {
                try printEthernet(payload, length: length, into: &out)
            } else {
                out.append("[Ethernet requires IPv6] (invalid)")
            }
        case IPProtocol.noNextHeader:
            out.append("no next header")
        default:
            // tcpdump's own fallback for protocols it has no printer for. (tcpdump decodes SCTP
            // and DCCP, whose printers write the addresses; netlab writes them here instead.)
            if nextProtocol == IPProtocol.sctp || nextProtocol == IPProtocol.dccp {
                appendAddress(ip.source, into: &out)
                out.append(" > ")
                appendAddress(ip.destination, into: &out)
                out.append(":")
            }
            out.append(" ip-proto-")
            out.append(nextProtocol)
            out.append(" ")
            out.append(length)
        }
    }
}

extension TcpdumpPrinter {
    /// The timestamp option (RFC 791 §3.1, option 68) as ip_printts writes it: the flag's
    /// name, each slot (timestamp, and address for TS+ADDR and prespecified), `^` at the
    /// pointer, and the overflow count. A slot past the captured bytes ends the record.
    func printIPv4Timestamps(_ option: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        if length < 4 {
            out.append("[bad length ")
            out.append(length)
            out.append("]")
            return
        }
        out.append(" TS{")
        let flags = option.u8(3)!
        let slot: UInt32 = flags & 0xF != 0 ? 8 : 4
        let optionLength = UInt32(length)
        if (optionLength - 4) & (slot - 1) != 0 {
            out.append("[bad length ")
            out.append(length)
            out.append("]")
        }
        let pointer = UInt32(option.u8(2)!) &- 1
        if pointer < 4 || (pointer &- 4) & (slot - 1) != 0 || pointer > optionLength + 1 {
            out.append("[bad ptr ")
            out.append(option.u8(2)!)
            out.append("]")
        }
        var position: UInt32 = 0
        switch flags & 0xF {
        case 0: out.append("TSONLY")
        case 1: out.append("TS+ADDR")
        case 2: out.append("PRESPEC2.0")
        case 3: out.append("PRESPEC")
        default:
            out.append("[bad ts type ")
            out.append(flags & 0xF)
            out.append("]")
            position = UInt32.max
        }
        if position != UInt32.max {
            position = 4
            while position < optionLength {
                out.append(pointer == position ? " ^ " : " ")
                let at = Int(position)
                let value = try option.be32(at + Int(slot) - 4).orTruncated()
                guard option.has(at, Int(slot)) else { throw Truncated() }
                out.append(value)
                out.append("@")
                if slot == 8 { out.append(ipv4: option.dropFirst(at).prefix(4)) }
                position += slot
            }
        } else {
            position = 0
        }
        if pointer == position { out.append(" ^ ") }
        if flags >> 4 != 0 {
            out.append(" [")
            out.append(flags >> 4)
            out.append(" hops not recorded]} ")
        } else {
            out.append("}")
        }
    }
}
