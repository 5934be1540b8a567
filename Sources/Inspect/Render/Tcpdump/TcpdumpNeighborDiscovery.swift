/// IPv6 Neighbor Discovery (RFC 4861) details that tcpdump prints with -v: router
/// advertisement fields and the options of RS, RA, NS and NA messages.
extension TcpdumpPrinter {
    /// The fields after "router advertisement" (-v only).
    mutating func printRouterAdvertisement(_ message: ByteView, length: Int, into out: inout TextBuffer)
        throws(Truncated)
    {
        guard message.has(4, 12) else { throw Truncated() }
        let flags = message.u8(5)!
        out.append("\n\thop limit ")
        out.append(message.u8(4)!)
        out.append(", Flags [")
        let names: [(UInt8, StaticString)] = [
            (0x80, "managed"), (0x40, "other stateful"), (0x20, "home agent"), (0x04, "proxy"),
        ]
        appendBits(UInt32(flags), names.map { (UInt32($0.0), $0.1) }, into: &out)
        out.append("], pref ")
        out.append(Self.routerPreference(flags))
        out.append(", router lifetime ")
        out.append(message.be16(6)!)
        out.append("s, reachable time ")
        out.append(message.be32(8)!)
        out.append("ms, retrans timer ")
        out.append(message.be32(12)!)
        out.append("ms")
        try printNeighborDiscoveryOptions(message.prefix(length).dropFirst(16), into: &out)
    }

    /// tcpdump's bittok2str: the names of the set bits, ", "-separated, or "none".
    func appendBits(_ value: UInt32, _ names: [(UInt32, StaticString)], into out: inout TextBuffer) {
        var first = true
        for (bit, name) in names where value & bit != 0 {
            if !first { out.append(", ") }
            out.append(name)
            first = false
        }
        if first { out.append("none") }
    }

    static func routerPreference(_ flags: UInt8) -> StaticString {
        switch (flags >> 3) & 0x03 {
        case 0: "medium"
        case 1: "high"
        case 2: "rsv"
        default: "low"
        }
    }

    /// icmp6_opt_print: type, length and the known option bodies, each on its own line.
    mutating func printNeighborDiscoveryOptions(_ options: ByteView, into out: inout TextBuffer) throws(Truncated) {
        var offset = 0
        while offset < options.count {
            guard let type = options.u8(offset), let units = options.u8(offset + 1) else { throw Truncated() }
            let optionLength = Int(units) * 8
            if units == 0 || !options.has(offset, optionLength) { throw Truncated() }
            let option = options.dropFirst(offset).prefix(optionLength)
            out.append("\n\t  ")
            out.append(Self.neighborOptionName(type))
            out.append(" option (")
            out.append(type)
            out.append("), length ")
            out.append(optionLength)
            out.append(" (")
            out.append(units)
            out.append("): ")
            switch type {
            case 1, 2:
                out.append(linkAddress: option.dropFirst(2))
            case 3:
                guard option.has(16, 16) else { throw Truncated() }
                out.append(ipv6: option.dropFirst(16))
                out.append("/")
                out.append(option.u8(2)!)
                if units != 4 { out.append("badlen") }
                out.append(", Flags [")
                appendBits(UInt32(option.u8(3)!), [(0x80, "onlink"), (0x40, "auto"), (0x20, "router")], into: &out)
                out.append("], valid time ")
                appendLifetime(option.be32(4)!, into: &out)
                out.append(", pref. time ")
                appendLifetime(option.be32(8)!, into: &out)
            case 4:
                // icmp6_opt_print hands print_unknown_data the start of all options (bp), not
                // this option, so tcpdump shows the first option's bytes; netlab does the same.
                appendHex(options.prefix(optionLength), indent: "\n\t    ", into: &out)
            case 5:
                out.append(" ")
                out.append(option.be32(4)!)
                if units != 1 { out.append("bad option length") }
            case 7:
                out.append(" ")
                out.append(option.be32(4)!)
                out.append("ms")
            case 8:
                out.append(" preference ")
                out.append(option.be16(4)!)
                out.append(", lifetime ")
                out.append(option.be16(6)!)
            case 24:
                // RFC 4191 §2.3: the prefix is 0, 8 or 16 bytes long, by the option's length.
                var prefix = [UInt8](repeating: 0, count: 16)
                switch units {
                case 1: break
                case 2, 3:
                    for index in 0..<(units == 2 ? 8 : 16) { prefix[index] = option.u8(8 + index)! }
                default: throw Truncated()
                }
                out.append(" ")
                prefix.withUnsafeBytes { out.append(ipv6: ByteView($0)) }
                out.append("/")
                out.append(option.u8(2)!)
                out.append(", pref=")
                out.append(Self.routerPreference(option.u8(3)!))
                out.append(", lifetime=")
                appendLifetime(option.be32(4)!, into: &out)
            case 25:
                out.append(" lifetime ")
                out.append(option.be32(4)!)
                out.append("s,")
                for index in 0..<((Int(units) - 1) / 2) {
                    out.append(" addr: ")
                    out.append(ipv6: option.dropFirst(8 + index * 16))
                }
            case 31:
                out.append(" lifetime ")
                out.append(option.be32(4)!)
                out.append("s, domain(s):")
                var cursor = 8
                while cursor < optionLength, option.u8(cursor)! != 0 {
                    out.append(" ")
                    guard let next = appendDomainName(option, from: cursor, into: &out) else { throw Truncated() }
                    cursor = next
                }
            default:
                appendHex(option.dropFirst(2), indent: "\n\t  ", into: &out)
                return
            }
            offset += optionLength
        }
    }

    static func neighborOptionName(_ type: UInt8) -> StaticString {
        switch type {
        case 1: "source link-address"
        case 2: "destination link-address"
        case 3: "prefix info"
        case 4: "redirected header"
        case 5: "mtu"
        case 7: "advertisement interval"
        case 8: "homeagent information"
        case 24: "route info"
        case 25: "rdnss"
        case 31: "dnssl"
        default: "unknown"
        }
    }

    /// `infinity` for 0xffffffff, else seconds.
    func appendLifetime(_ value: UInt32, into out: inout TextBuffer) {
        if value == 0xFFFF_FFFF {
            out.append("infinity")
        } else {
            out.append(value)
            out.append("s")
        }
    }

    /// An uncompressed DNS name (RFC 1035 §3.1) as `label.label.`; returns the offset after
    /// its terminating zero, or nil if it runs past the option or uses compression.
    func appendDomainName(_ view: ByteView, from start: Int, into out: inout TextBuffer) -> Int? {
        var cursor = start
        while let length = view.u8(cursor) {
            if length == 0 { return cursor + 1 }
            guard length < 64, view.has(cursor + 1, Int(length)) else { return nil }
            out.append(bytes: view.dropFirst(cursor + 1).prefix(Int(length)).base)
            out.append(".")
            cursor += 1 + Int(length)
        }
        return nil
    }
}
