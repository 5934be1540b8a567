/// ICMP for IPv4 as print-icmp.c writes it: echo, unreachable, redirect, time exceeded,
/// parameter problem and the simple query types; other types print `type-#N`.
extension TcpdumpPrinter {
    mutating func printICMP(
        _ message: ByteView, length: Int, ip: IPContext, fragmented: Bool, into out: inout TextBuffer
    ) throws(Truncated) {
        layer = "icmp"
        guard let icmp = ICMPHeader(message) else { throw Truncated() }
        let type = icmp.type
        let code = try icmp.code.orTruncated()
        var text = TextBuffer(capacity: 96)
        let quoted = icmp.quoted
        switch type {
        case ICMPHeader.echoRequest, ICMPHeader.echoReply:
            text.append(type == ICMPHeader.echoRequest ? "echo request, id " : "echo reply, id ")
            text.append(try icmp.identifier.orTruncated())
            text.append(", seq ")
            text.append(try icmp.sequence.orTruncated())
        case ICMPHeader.unreachable:
            let destination = try Self.quotedDestination(quoted)
            switch code {
            case 0:
                text.append("net ")
                text.append(ipv4: destination)
                text.append(" unreachable")
            case 1:
                text.append("host ")
                text.append(ipv4: destination)
                text.append(" unreachable")
            case 2:
                text.append(ipv4: destination)
                text.append(" protocol ")
                text.append(try quoted.u8(9).orTruncated())
                text.append(" unreachable")
            case 3:
                let proto = try quoted.u8(9).orTruncated()
                let headerLength = Int(quoted.u8(0)! & 0x0F) * 4
                let port = try quoted.be16(headerLength + 2).orTruncated()
                text.append(ipv4: destination)
                switch proto {
                case IPProtocol.tcp: text.append(" tcp port ")
                case IPProtocol.udp: text.append(" udp port ")
                default:
                    text.append(" protocol ")
                    text.append(proto)
                    text.append(" port ")
                }
                text.append(port)
                text.append(" unreachable")
            case 4:
                let mtu = try message.be16(6).orTruncated()
                text.append(ipv4: destination)
                text.append(" unreachable - need to frag")
                if mtu != 0 {
                    text.append(" (mtu ")
                    text.append(mtu)
                    text.append(")")
                }
            case 5...15:
                let (before, after) = Self.unreachableText(code)
                text.append(before)
                text.append(ipv4: destination)
                text.append(after)
            default:
                text.append("#")
                text.append(code)
                text.append(" ")
                text.append(ipv4: destination)
                text.append(" unreachable")
            }
        case ICMPHeader.redirect:
            let destination = try Self.quotedDestination(quoted)
            guard message.has(4, 4) else { throw Truncated() }
            switch code {
            case 0: text.append("redirect ")
            case 1: text.append("redirect ")
            case 2: text.append("redirect-tos ")
            case 3: text.append("redirect-tos ")
            default:
                text.append("redirect-#")
                text.append(code)
                text.append(" ")
            }
            text.append(ipv4: destination)
            text.append(code == 1 || code == 3 ? " to host " : code > 3 ? " to " : " to net ")
            text.append(ipv4: message.dropFirst(4))
        case ICMPHeader.timeExceeded:
            _ = try Self.quotedDestination(quoted)
            switch code {
            case 0: text.append("time exceeded in-transit")
            case 1: text.append("ip reassembly time exceeded")
            default:
                text.append("time exceeded-#")
                text.append(code)
            }
        case ICMPHeader.parameterProblem:
            if code != 0 {
                text.append("parameter problem - code ")
                text.append(code)
            } else {
                text.append("parameter problem - octet ")
                text.append(try message.u8(4).orTruncated())
            }
        case ICMPHeader.maskReply:
            text.append("address mask is 0x")
            text.append(hex: UInt64(try message.be32(8).orTruncated()), minDigits: 8)
        case ICMPHeader.timestampRequest:
            text.append("time stamp query id ")
            text.append(try icmp.identifier.orTruncated())
            text.append(" seq ")
            text.append(try icmp.sequence.orTruncated())
        case ICMPHeader.routerAdvertisement:
            // RFC 1256 §3: address count, entry size in words, lifetime, then the entries.
            guard message.has(4, 4) else { throw Truncated() }
            text.append("router advertisement lifetime ")
            let lifetime = UInt32(message.be16(6)!)
            if lifetime < 60 {
                text.append(lifetime)
            } else if lifetime < 3600 {
                text.append(lifetime / 60)
                text.append(":")
                text.append(zeroPadded: UInt64(lifetime % 60), width: 2)
            } else {
                text.append(lifetime / 3600)
                text.append(":")
                text.append(zeroPadded: UInt64(lifetime % 3600 / 60), width: 2)
                text.append(":")
                text.append(zeroPadded: UInt64(lifetime % 60), width: 2)
            }
            var count = Int(message.u8(4)!)
            text.append(" ")
            text.append(count)
            text.append(":")
            let size = message.u8(5)!
            if size != 2 {
                text.append(" [size ")
                text.append(size)
                text.append("]")
            } else {
                var offset = 8
                while count > 0 {
                    guard message.has(offset, 8) else { throw Truncated() }
                    text.append(" {")
                    text.append(ipv4: message.dropFirst(offset).prefix(4))
                    text.append(" ")
                    text.append(message.be32(offset + 4)!)
                    text.append("}")
                    offset += 8
                    count -= 1
                }
            }
        case ICMPHeader.timestampReply:
            // The three times (RFC 792: milliseconds since midnight UT) as icmp_tstamp_print writes them.
            let transmit = try message.be32(16).orTruncated()
            text.append("time stamp reply id ")
            text.append(try icmp.identifier.orTruncated())
            text.append(" seq ")
            text.append(try icmp.sequence.orTruncated())
            text.append(": org ")
            Self.appendMilliseconds(message.be32(8)!, into: &text)
            text.append(", recv ")
            Self.appendMilliseconds(message.be32(12)!, into: &text)
            text.append(", xmit ")
            Self.appendMilliseconds(transmit, into: &text)
        default:
            if let name = Self.icmpTypeName(type) {
                text.append(name)
            } else {
                text.append("type-#")
                text.append(type)
            }
        }
        out.append("ICMP ")
        out.append(buffer: text)
        out.append(", length ")
        out.append(length)
        if verbosity > 0 && !fragmented && message.count >= length {
            let sum = InternetChecksum.compute(message.prefix(length))
            if sum != 0, let field = icmp.checksum {
                out.append(" (wrong icmp cksum ")
                out.append(hex: UInt64(field))
                out.append(" (->")
                out.append(hex: UInt64(InternetChecksum.shouldBe(field: field, computed: sum)))
                out.append(")!)")
            }
        }
        if verbosity > 0 && ICMPHeader.isError(type) {
            out.append("\n\t")
            let inner = quoted
            let innerLength = Int(try inner.be16(2).orTruncated())
            try printIPv4(inner.prefix(innerLength), length: innerLength, into: &out)
            layer = "icmp"
        }
        if verbosity > 0 && length > Self.extensionOffset
            && (type == ICMPHeader.unreachable || type == ICMPHeader.timeExceeded
                || type == ICMPHeader.parameterProblem)
        {
            try printMultipartExtension(message, length: length, into: &out)
        }
    }

    /// RFC 4884 extensions start after the 8-byte header and 128 bytes of the original datagram.
    static let extensionOffset = 136

    /// ICMP multi-part extensions (RFC 4884), such as the MPLS label stack routers add to
    /// time-exceeded messages (RFC 4950), as print-icmp.c shows them with -v.
    private mutating func printMultipartExtension(_ message: ByteView, length: Int, into out: inout TextBuffer)
        throws(Truncated)
    {
        let start = Self.extensionOffset
        // tcpdump first checks that its whole extension structure (141 bytes) was captured.
        guard message.count >= start + 5 else { throw Truncated() }
        let extensionLength = length - start
        let extensionBytes = message.dropFirst(start).prefix(extensionLength)
        if message.u8(5)! == 0 && extensionBytes.count >= extensionLength
            && InternetChecksum.compute(extensionBytes) != 0
        {
            return  // no length field and a bad checksum: not an extension after all
        }
        let version = message.u8(start)! >> 4
        out.append("\n\tICMP Multi-Part extension v")
        out.append(version)
        guard version == 2 else {
            out.append(" packet not supported")
            return
        }
        if extensionBytes.count >= extensionLength {
            out.append(", checksum 0x")
            out.append(hex: UInt64(message.be16(start + 2)!), minDigits: 4)
            out.append(InternetChecksum.compute(extensionBytes) != 0 ? " (incorrect)" : " (correct)")
            out.append(", length ")
            out.append(extensionLength)
        }
        var remaining = extensionLength - 4
        var offset = start + 4
        while remaining > 4 {
            guard message.has(offset, 4) else { throw Truncated() }
            let objectLength = Int(message.be16(offset)!)
            let objectClass = message.u8(offset + 2)!
            let objectType = message.u8(offset + 3)!
            out.append("\n\t  ")
            switch objectClass {
            case 1: out.append("MPLS Stack Entry")
            case 2: out.append("Extended Payload")
            default: out.append("unknown")
            }
            out.append(" Object (")
            out.append(objectClass)
            out.append("), Class-Type: ")
            out.append(objectType)
            out.append(", length ")
            out.append(objectLength)
            offset += 4
            remaining -= 4
            if objectClass == 0 || objectLength < 4 { return }
            let dataLength = objectLength - 4
            if objectClass == 1 && objectType == 1 {
                let entry = try message.be32(offset).orTruncated()
                out.append("\n\t    label ")
                out.append(entry >> 12)
                out.append(", tc ")
                out.append((entry >> 9) & 0x7)
                if entry & 0x100 != 0 { out.append(", [S]") }
                out.append(", ttl ")
                out.append(entry & 0xFF)
            } else {
                let data = message.dropFirst(offset).prefix(dataLength)
                appendHex(data, indent: "\n\t    ", into: &out)
                if data.count < dataLength { throw Truncated() }
            }
            if remaining < dataLength { break }
            remaining -= dataLength
            offset += dataLength
        }
    }

    private static func quotedDestination(_ quoted: ByteView) throws(Truncated) -> ByteView {
        guard quoted.has(16, 4) else { throw Truncated() }
        return quoted.dropFirst(16).prefix(4)
    }

    static func icmpTypeName(_ type: UInt8) -> StaticString? {
        switch type {
        case 0: "echo reply"
        case 4: "source quench"
        case 8: "echo request"
        case 10: "router solicitation"
        case 13: "time stamp request"
        case 14: "time stamp reply"
        case 15: "information request"
        case 16: "information reply"
        case 17: "address mask request"
        default: nil
        }
    }

    /// tcpdump's `unreach2str` around the quoted destination address.
    static func unreachableText(_ code: UInt8) -> (StaticString, StaticString) {
        switch code {
        case 5: ("", " unreachable - source route failed")
        case 6: ("net ", " unreachable - unknown")
        case 7: ("host ", " unreachable - unknown")
        case 8: ("", " unreachable - source host isolated")
        case 9: ("net ", " unreachable - admin prohibited")
        case 10: ("host ", " unreachable - admin prohibited")
        case 11: ("net ", " unreachable - tos prohibited")
        case 12: ("host ", " unreachable - tos prohibited")
        case 13: ("host ", " unreachable - admin prohibited filter")
        case 14: ("host ", " unreachable - host precedence violation")
        case 15: ("host ", " unreachable - precedence cutoff")
        default: ("", " unreachable")
        }
    }
}

extension TcpdumpPrinter {
    /// icmp_tstamp_print: hours (unbounded), minutes, seconds and milliseconds.
    static func appendMilliseconds(_ value: UInt32, into out: inout TextBuffer) {
        let milliseconds = value % 1000
        var seconds = value / 1000
        var minutes = seconds / 60
        seconds -= minutes * 60
        let hours = minutes / 60
        minutes -= hours * 60
        out.append(zeroPadded: UInt64(hours), width: hours > 99 ? String(hours).count : 2)
        out.append(":")
        out.append(zeroPadded: UInt64(minutes), width: 2)
        out.append(":")
        out.append(zeroPadded: UInt64(seconds), width: 2)
        out.append(".")
        out.append(zeroPadded: UInt64(milliseconds), width: 3)
    }
}
