/// Multipath TCP options (RFC 6824, RFC 8684) as tcpdump 4.99's print-mptcp.c writes them.
extension TcpdumpPrinter {
    /// `option` is the whole option (kind and length bytes included), already captured.
    /// Returns false when the option is malformed for its subtype: tcpdump then prints `[bad opt]`.
    func appendMultipath(_ option: ByteView, flags: TCPHeader.Flags, into out: inout TextBuffer) -> Bool {
        let length = option.count
        guard length >= 3 else { return false }
        let subtype = min(option.u8(2)! >> 4, 8)
        out.append(" ")
        out.append(length)
        out.append(" ")
        out.append(Self.multipathSubtypeName(subtype))
        func u64(_ offset: Int) -> UInt64 {
            UInt64(option.be32(offset) ?? 0) << 32 | UInt64(option.be32(offset + 4) ?? 0)
        }
        func hex64(_ prefix: StaticString, _ offset: Int, _ out: inout TextBuffer) {
            out.append(prefix)
            out.append(hex: u64(offset))
        }
        let syn = flags.contains(.syn), ack = flags.contains(.ack)
        switch subtype {
        case 0:  // MP_CAPABLE
            guard ((length == 12 || length == 4) && syn) || ((length == 20 || length == 22) && ack && !syn) else {
                return false
            }
            let version = option.u8(2)! & 0x0F
            guard version <= 1 else {
                out.append(" Unknown Version (")
                out.append(version)
                out.append(")")
                return true
            }
            out.append(" v")
            out.append(version)
            if option.u8(3)! & 0x80 != 0 { out.append(" csum") }
            if length == 12 || length >= 20 {
                hex64(" {0x", 4, &out)
                if length >= 20 { hex64(",0x", 12, &out) }
                out.append("}")
            }
        case 1:  // MP_JOIN
            guard (length == 12 && syn) || (length == 16 && syn && ack) || (length == 24 && ack) else {
                return false
            }
            if length != 24 {
                if option.u8(2)! & 0x01 != 0 { out.append(" backup") }
                out.append(" id ")
                out.append(option.u8(3)!)
            }
            switch length {
            case 12:
                out.append(" token 0x")
                out.append(hex: UInt64(option.be32(4)!))
                out.append(" nonce 0x")
                out.append(hex: UInt64(option.be32(8)!))
            case 16:
                hex64(" hmac 0x", 4, &out)
                out.append(" nonce 0x")
                out.append(hex: UInt64(option.be32(12)!))
            default:
                out.append(" hmac 0x")
                for index in 4..<24 { out.append(hex: UInt64(option.u8(index)!), minDigits: 2) }
            }
        case 2:  // DSS
            return appendDataSequenceSignal(option, syn: syn, into: &out)
        case 3:  // ADD_ADDR
            guard [8, 10, 16, 18, 20, 22, 28, 30].contains(length) else { return false }
            switch option.u8(2)! & 0x0F {
            case 6: out.append(" v0-ip6")
            case 4: out.append(" v0-ip4")
            case 1: out.append(" v1-echo")
            case 0: out.append(" v1")
            default: out.append(" [bad version/echo]")
            }
            out.append(" id ")
            out.append(option.u8(3)!)
            let isIPv4 = length <= 18
            out.append(" ")
            if isIPv4 { out.append(ipv4: option.dropFirst(4)) } else { out.append(ipv6: option.dropFirst(4)) }
            let portOffset = isIPv4 ? 8 : 20
            if length == 10 || length == 18 || length == 22 || length == 30 {
                out.append(":")
                out.append(option.be16(portOffset)!)
            }
            switch length {
            case 16, 28: hex64(" hmac 0x", portOffset, &out)
            case 18, 30: hex64(" hmac 0x", portOffset + 2, &out)
            default: break
            }
        case 4:  // REMOVE_ADDR
            guard length >= 4 else { return false }
            out.append(" id")
            for index in 3..<length {
                out.append(" ")
                out.append(option.u8(index)!)
            }
        case 5:  // MP_PRIO
            guard length == 3 || length == 4 else { return false }
            out.append(option.u8(2)! & 0x01 != 0 ? " backup" : " non-backup")
            if length == 4 {
                out.append(" id ")
                out.append(option.u8(3)!)
            }
        case 6:  // MP_FAIL
            guard length == 12 else { return false }
            out.append(" seq ")
            out.append(decimal: u64(4))
        case 7:  // MP_FASTCLOSE
            guard length == 12 else { return false }
            hex64(" key 0x", 4, &out)
        default:
            break
        }
        return true
    }

    /// DSS (RFC 8684 §3.3): data ACK and mapping, each 4 or 8 bytes as the flags say.
    private func appendDataSequenceSignal(_ option: ByteView, syn: Bool, into out: inout TextBuffer) -> Bool {
        guard option.count >= 4, !syn else { return false }
        let flags = option.u8(3)!
        if flags & 0x10 != 0 { out.append(" fin") }
        var offset = 4
        var remaining = option.count - 4
        func number(wide: Bool, _ out: inout TextBuffer) -> Bool {
            let size = wide ? 8 : 4
            guard remaining >= size else { return false }
            if wide {
                out.append(decimal: UInt64(option.be32(offset)!) << 32 | UInt64(option.be32(offset + 4)!))
            } else {
                out.append(option.be32(offset)!)
            }
            offset += size
            remaining -= size
            return true
        }
        if flags & 0x01 != 0 {
            out.append(" ack ")
            guard number(wide: flags & 0x02 != 0, &out) else { return false }
        }
        if flags & 0x04 != 0 {
            out.append(" seq ")
            guard number(wide: flags & 0x08 != 0, &out) else { return false }
            guard remaining >= 4 else { return false }
            out.append(" subseq ")
            guard number(wide: false, &out) else { return false }
            guard remaining >= 2 else { return false }
            out.append(" len ")
            out.append(option.be16(offset)!)
            offset += 2
            remaining -= 2
            if remaining >= 2 {
                out.append(" csum 0x")
                out.append(hex: UInt64(option.be16(offset)!))
                remaining -= 2
            }
        }
        return remaining == 0
    }

    static func multipathSubtypeName(_ subtype: UInt8) -> StaticString {
        switch subtype {
        case 0: "capable"
        case 1: "join"
        case 2: "dss"
        case 3: "add-addr"
        case 4: "rem-addr"
        case 5: "prio"
        case 6: "fail"
        case 7: "fast-close"
        default: "unknown"
        }
    }
}
