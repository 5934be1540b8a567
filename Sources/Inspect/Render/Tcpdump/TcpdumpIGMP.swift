/// IGMP (RFC 1112, 2236, 3376) as print-igmp.c writes it.
extension TcpdumpPrinter {
    mutating func printIGMP(_ message: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "igmp"
        let type = try message.u8(0).orTruncated()
        func group(_ out: inout TextBuffer) throws(Truncated) {
            guard message.has(4, 4) else { throw Truncated() }
            out.append(ipv4: message.dropFirst(4))
        }
        switch type {
        case 0x11:
            out.append("igmp query")
            if length >= 12 {
                try appendIGMPv3Query(message, length: length, into: &out)
            } else {
                let maxResponse = try message.u8(1).orTruncated()
                if maxResponse != 0 {
                    out.append(" v2")
                    if maxResponse != 100 {
                        out.append(" [max resp time ")
                        out.append(maxResponse)
                        out.append("]")
                    }
                } else {
                    out.append(" v1")
                }
                if try message.be32(4).orTruncated() != 0 {
                    out.append(" [gaddr ")
                    try group(&out)
                    out.append("]")
                }
                if length != 8 {
                    out.append(" [len ")
                    out.append(length)
                    out.append("]")
                }
            }
        case 0x12:
            guard message.has(4, 4) else { throw Truncated() }  // one printf: label and group together
            out.append("igmp v1 report ")
            try group(&out)
            if length != 8 {
                out.append(" [len ")
                out.append(length)
                out.append("]")
            }
        case 0x16:
            guard message.has(4, 4) else { throw Truncated() }  // one printf: label and group together
            out.append("igmp v2 report ")
            try group(&out)
        case 0x17:
            guard message.has(4, 4) else { throw Truncated() }  // one printf: label and group together
            out.append("igmp leave ")
            try group(&out)
        case 0x22:
            out.append("igmp v3 report")
            try appendIGMPv3Report(message, length: length, into: &out)
        default:
            out.append("igmp-")
            out.append(type)
        }
        if verbosity > 0 && length >= 4 && message.count >= length {
            if InternetChecksum.compute(message.prefix(length)) != 0 {
                out.append(" bad igmp cksum ")
                out.append(hex: UInt64(message.be16(2)!))
                out.append("!")
            }
        }
    }

    private func appendIGMPv3Query(_ message: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        out.append(" v3")
        if length < 12 || length % 4 != 0 {
            out.append(" [invalid len ")
            out.append(length)
            out.append("]")
            return
        }
        let code = UInt32(try message.u8(1).orTruncated())
        let time = code < 128 ? code : ((code & 0x0F) | 0x10) << (((code & 0x70) >> 4) + 3)
        if code != 100 {
            out.append(" [max resp time ")
            if time < 600 {
                out.append(time / 10)
                out.append(".")
                out.append(time % 10)
                out.append("s")
            } else {
                appendRelativeTime(time / 10, into: &out)
            }
            out.append("]")
        }
        if try message.be32(4).orTruncated() == 0 { return }
        out.append(" [gaddr ")
        out.append(ipv4: message.dropFirst(4))
        let sources = Int(try message.be16(10).orTruncated())
        if sources > 0 {
            if length < 12 + sources * 4 {
                out.append(" [invalid number of sources ")
                out.append(sources)
                out.append("]")
            } else {
                try appendSources(message, at: 12, count: sources, size: 4, listed: verbosity > 1, into: &out)
            }
        }
        out.append("]")
    }

    private func appendIGMPv3Report(_ message: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        if length < 16 || length % 4 != 0 {
            out.append(" [invalid len ")
            out.append(length)
            out.append("]")
            return
        }
        try appendGroupRecords(message, length: length, size: 4, unknownType: "v3-report", into: &out)
    }

    /// tcpdump's unsigned_relts_print: `1w2d3h4m5s`.
    func appendRelativeTime(_ seconds: UInt32, into out: inout TextBuffer) {
        if seconds == 0 {
            out.append("0s")
            return
        }
        var rest = seconds
        let units: [(UInt32, StaticString)] = [
            (31_536_000, "y"), (604_800, "w"), (86_400, "d"), (3600, "h"), (60, "m"), (1, "s"),
        ]
        for (size, name) in units where rest >= size {
            out.append(rest / size)
            out.append(name)
            rest %= size
        }
    }
}
