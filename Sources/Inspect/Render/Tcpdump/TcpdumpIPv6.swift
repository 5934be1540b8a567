/// IPv6 and its extension headers, as print-ip6.c, print-rt6.c, print-frag6.c and
/// print-ip6opts.c write them.
extension TcpdumpPrinter {
    mutating func printIPv6(_ bytes: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "ip6"
        guard let ip = IPv6Header(bytes) else { throw Truncated() }
        if length < IPv6Header.length {
            out.append("truncated-ip6 ")
            out.append(length)
            return
        }
        out.append("IP6 ")
        if ip.version != 6 {
            out.append("version error: ")
            out.append(ip.version)
            out.append(" != 6")
            return
        }
        let payloadLength = Int(ip.payloadLength)
        if payloadLength != 0, length < payloadLength + IPv6Header.length {
            out.append("truncated-ip6 - ")
            out.append(payloadLength + IPv6Header.length - length)
            out.append(" bytes missing!")
        }
        let nextHeader = ip.nextHeader
        if verbosity > 0 {
            let word = ip.versionClassFlow
            out.append("(")
            if word & 0x0FF0_0000 != 0 {
                out.append("class 0x")
                out.append(hex: UInt64((word & 0x0FF0_0000) >> 20), minDigits: 2)
                out.append(", ")
            }
            if word & 0x000F_FFFF != 0 {
                out.append("flowlabel 0x")
                out.append(hex: UInt64(word & 0x000F_FFFF), minDigits: 5)
                out.append(", ")
            }
            out.append("hlim ")
            out.append(ip.hopLimit)
            out.append(", next-header ")
            out.append(IPProtocol.name(nextHeader) ?? "unknown")
            out.append(" (")
            out.append(nextHeader)
            out.append(") payload length: ")
            out.append(payloadLength)
            out.append(") ")
        }
        // Wire's chain walks the headers (the same walk Flow, stats and follow use): it decides
        // where each header starts, when the walk ends, the jumbo length and the final
        // destination. The printer renders each header it yields, and when the walk stops on a
        // cut or invalid header, renders that header too, which says where and why.
        var chain = IPv6ExtensionChain(ip)
        var fragmented = false
        var sawHopByHop = false  // an earlier hop-by-hop header (the chain's flag includes the one it stopped on)
        while let element = chain.next() {
            let offset = element.offset
            let proto = element.proto ?? chain.nextHeader
            if offset == IPv6Header.length && proto != IPProtocol.tcp && proto != IPProtocol.udp
                && proto != IPProtocol.dccp && proto != IPProtocol.sctp
            {
                out.append(ipv6: ip.source)
                out.append(" > ")
                out.append(ipv6: ip.destination)
                out.append(": ")
            }
            switch element {
            case .hopByHop, .destinationOptions, .routing, .fragment:
                let header = chain.packet.dropFirst(offset)
                guard
                    try printExtensionHeader(
                        proto, header, at: offset, ip: ip, sawHopByHop: false, payloadLength: Int(ip.payloadLength),
                        into: &out)
                else { return }
                if case .hopByHop = element { sawHopByHop = true }
                if case .fragment = element {
                    fragmented = true
                    // A first fragment with nothing after its header ends the line there.
                    if chain.packet.count <= offset + IPv6FragmentHeader.length { return }
                }
            case .truncated, .invalid:
                let header = chain.packet.dropFirst(offset)
                if try printExtensionHeader(
                    proto, header, at: offset, ip: ip, sawHopByHop: sawHopByHop,
                    payloadLength: Int(ip.payloadLength), into: &out)
                {
                    throw Truncated()  // the header printed whole: the walk stopped past it
                }
                return
            case .laterFragment:
                return  // printExtensionHeader ended the line at the fragment header
            case .upperLayer:
                // The payload length is final now: cut the packet there (tcpdump's nd_change_snaplen).
                let total = chain.payloadLength + IPv6Header.length
                if chain.jumboLength != nil, length < total {
                    out.append("truncated-ip6 - ")
                    out.append(total - length)
                    out.append(" bytes missing!")
                }
                let context = IPContext(
                    header: .v6(ip), headerProtocol: ip.nextHeader, finalDestination: chain.finalDestination)
                try printIPPayload(
                    bytes.prefix(total).dropFirst(offset), length: total - offset, nextProtocol: proto,
                    fragmented: fragmented, ip: context, into: &out)
                return
            }
            layer = "ip6"
        }
    }

    /// One extension header at `offset`, as print-ip6.c's loop prints it. Returns false when
    /// the line ends here (an invalid header, or a fragment whose payload is not a header).
    private mutating func printExtensionHeader(
        _ proto: UInt8, _ header: ByteView, at offset: Int, ip: IPv6Header, sawHopByHop: Bool, payloadLength: Int,
        into out: inout TextBuffer
    ) throws(Truncated) -> Bool {
        switch proto {
        case IPProtocol.hopByHop, IPProtocol.destinationOptions:
            let isHopByHop = proto == IPProtocol.hopByHop
            if isHopByHop && (sawHopByHop || offset != IPv6Header.length) {
                out.append(
                    sawHopByHop
                        ? "[The Hop-by-Hop Options header was already found] (invalid)"
                        : "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)")
                return false
            }
            layer = isHopByHop ? "hbhopt" : "dstopt"
            // tcpdump's hbhopt_process always reads the options (for a jumbo length);
            // dstopt_process only with -v. A cut hop-by-hop header is marked, and then
            // ip6_print still says no jumbo option was found when the payload length is 0.
            let jumbo: UInt32?
            do throws(Truncated) {
                guard let options = IPv6OptionsHeader(header) else { throw Truncated() }
                guard header.count >= options.length else { throw Truncated() }
                out.append(isHopByHop ? "HBH " : "DSTOPT ")
                jumbo =
                    !isHopByHop && verbosity == 0
                    ? nil
                    : try printIPv6Options(
                        header.prefix(options.length).dropFirst(2), hopByHop: isHopByHop, payloadLength: payloadLength,
                        into: &out)
            } catch {
                // Only a cut past the length byte reaches the jumbo check (ND_TCHECK, not GET).
                guard isHopByHop, payloadLength == 0, !error.marked, header.count >= 2 else { throw error }
                out.append(" [|hbhopt]")
                out.append("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")
                return false
            }
            if isHopByHop && payloadLength == 0 && jumbo == nil {
                out.append("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")
                return false
            }
            return true
        case IPProtocol.fragment:
            layer = "frag6"
            // frag6_print reads the identification only with -v, so -nn needs 4 bytes.
            let offsetAndFlags = try header.be16(2).orTruncated()
            let fragmentOffset = offsetAndFlags & 0xFFF8
            // tcpdump computes this in size_t: a negative value prints as its 64-bit wrap.
            let fragmentPayload = IPv6Header.length + Int(ip.payloadLength) - offset - IPv6FragmentHeader.length
            if verbosity > 0 {
                let identification = try header.be32(4).orTruncated()
                out.append("frag (0x")
                out.append(hex: UInt64(identification), minDigits: 8)
                out.append(":")
            } else {
                out.append("frag (")
            }
            out.append(fragmentOffset)
            out.append("|")
            out.append(UInt64(bitPattern: Int64(fragmentPayload)))
            out.append(")")
            if fragmentOffset != 0 { return false }
            out.append(" ")
            // Fewer than 8 bytes: tcpdump stops silently after them (there is no payload to show).
            return header.count >= IPv6FragmentHeader.length
        case IPProtocol.routing:
            guard !header.isEmpty else { throw Truncated() }
            layer = "rt6"
            return try printRoutingHeader(IPv6RoutingHeader(unchecked: header), into: &out) != nil
        default:
            // An upper-layer header the walk could not reach (past the payload length).
            throw Truncated()
        }
    }

    /// Options of a hop-by-hop or destination options header (tcpdump's ip6_opt_process: they
    /// are checked even when not printed). Returns a valid Jumbo Payload length (RFC 2675: only
    /// hop-by-hop, only with a zero payload length, at least 65536), and throws when an option
    /// overruns the header.
    private mutating func printIPv6Options(
        _ view: ByteView, hopByHop: Bool, payloadLength: Int, into out: inout TextBuffer
    ) throws(Truncated) -> UInt32? {
        var jumbo: UInt32?
        var sawJumbo = false
        func verbose(_ text: StaticString, _ out: inout TextBuffer) { if verbosity > 0 { out.append(text) } }
        // The TLVs are framed by Wire's iterator (the one Flow's extension chain uses).
        for option in IPv6Options(view) {
            guard case .option(let type, let data) = option else { throw Truncated() }
            let declared = data.count
            switch type {
            case IPv6Options.pad1:
                verbose("(pad1)", &out)
            case IPv6Options.padN:
                verbose("(padn)", &out)
            case IPv6Options.routerAlert:
                if declared != 2 {
                    out.append("(rtalert: invalid len ")
                    out.append(declared)
                    out.append(")")
                    throw Truncated()
                }
                if verbosity > 0 {
                    out.append("(rtalert: 0x")
                    out.append(hex: UInt64(data.be16(0)!), minDigits: 4)
                    out.append(") ")
                }
            case IPv6Options.jumboPayload:
                if declared != 4 {
                    out.append("(jumbo: invalid len ")
                    out.append(declared)
                    out.append(")")
                    throw Truncated()
                }
                let value = data.be32(0)!
                let problem: StaticString?
                if sawJumbo {
                    problem = " - already seen"
                } else if !hopByHop {
                    problem = " - not a hop-by-hop option"
                } else if payloadLength != 0 {
                    problem = " - payload len != 0"
                } else if value < 65536 {
                    problem = " - < 65536"
                } else {
                    problem = nil
                    jumbo = value
                }
                sawJumbo = true
                if verbosity > 0 {
                    out.append("(jumbo: ")
                    out.append(value)
                    if let problem { out.append(problem) }
                    out.append(") ")
                }
            default:
                if verbosity > 0 {
                    out.append("(opt_type 0x")
                    out.append(hex: UInt64(type), minDigits: 2)
                    out.append(": len=")
                    out.append(declared)
                    out.append(")")
                }
            }
        }
        verbose(" ", &out)
        return jumbo
    }

    /// Returns the header's length, or nil when decoding stops here (invalid header).
    private mutating func printRoutingHeader(
        _ routing: IPv6RoutingHeader, into out: inout TextBuffer
    ) throws(Truncated) -> Int? {
        let view = routing.view
        // Each field is read before its label is printed, as tcpdump's ND_PRINT arguments are.
        out.append("RT6")
        var units = Int(try view.u8(1).orTruncated())
        out.append(" (len=")
        out.append(units)
        let type = try view.u8(2).orTruncated()
        out.append(", type=")
        out.append(type)
        if type == 0 { out.append(" [Deprecated]") }
        let segmentsLeft = try view.u8(3).orTruncated()
        out.append(", segleft=")
        out.append(segmentsLeft)
        switch type {
        case 0, 2:
            let reserved = try view.be32(4).orTruncated()
            if reserved != 0 || verbosity > 0 {
                out.append(", rsv=0x")
                out.append(hex: UInt64(reserved))
            }
            if units % 2 == 1 {
                out.append(" (invalid length ")
                out.append(units)
                out.append(") (invalid)")
                return nil
            }
            units >>= 1
            for index in 0..<units {
                guard view.has(8 + 16 * index, 16) else { throw Truncated() }
                out.append(", [")
                out.append(index)
                out.append("]")
                out.append(ipv6: view.dropFirst(8 + 16 * index))
            }
        case 4:
            let lastEntry = Int(try view.u8(4).orTruncated())
            out.append(", last-entry=")
            out.append(lastEntry)
            let flags = try view.u8(5).orTruncated()
            if flags != 0 || verbosity > 0 {
                out.append(", flags=0x")
                out.append(hex: UInt64(flags))
            }
            let tag = try view.be16(6).orTruncated()
            out.append(", tag=")
            out.append(hex: UInt64(tag))
            // tcpdump 4.99 lists as many segments as the header length holds, not last-entry + 1.
            for index in 0..<(units >> 1) {
                guard view.has(8 + 16 * index, 16) else { throw Truncated() }
                out.append(", [")
                out.append(index)
                out.append("]")
                out.append(ipv6: view.dropFirst(8 + 16 * index))
            }
        default:
            out.append(" (unknown type) (invalid)")
            return nil
        }
        out.append(") ")
        return routing.length
    }
}
