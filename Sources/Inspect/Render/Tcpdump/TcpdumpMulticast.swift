/// What IGMPv3 (RFC 3376) and MLDv2 (RFC 3810) share: group records in reports and source
/// lists, which differ only in address size (4 or 16 bytes). print-igmp.c and print-icmp6.c
/// print them the same way.
extension TcpdumpPrinter {
    private func appendMulticastAddress(_ view: ByteView, size: Int, into out: inout TextBuffer) {
        if size == 16 { out.append(ipv6: view) } else { out.append(ipv4: view) }
    }

    /// `, N source(s)`, or with -vv ` { a b c }`.
    func appendSources(
        _ message: ByteView, at offset: Int, count: Int, size: Int, listed: Bool, into out: inout TextBuffer
    ) throws(Truncated) {
        if listed {
            out.append(" {")
            for index in 0..<count {
                guard message.has(offset + index * size, size) else { throw Truncated() }
                out.append(" ")
                appendMulticastAddress(message.dropFirst(offset + index * size), size: size, into: &out)
            }
            out.append(" }")
        } else {
            out.append(", ")
            out.append(count)
            out.append(" source(s)")
        }
    }

    /// The group records of a report: count, then with -v each group, its record type and sources.
    func appendGroupRecords(
        _ message: ByteView, length: Int, size: Int, unknownType: StaticString, into out: inout TextBuffer
    ) throws(Truncated) {
        let recordHeader = 4 + size
        let groups = Int(try message.be16(6).orTruncated())
        out.append(", ")
        out.append(groups)
        out.append(" group record(s)")
        guard verbosity > 0 else { return }
        var offset = 8
        for _ in 0..<groups {
            if length < offset + recordHeader {
                out.append(" [invalid number of groups]")
                return
            }
            guard message.has(offset, recordHeader) else { throw Truncated() }
            out.append(" [gaddr ")
            appendMulticastAddress(message.dropFirst(offset + 4), size: size, into: &out)
            let recordType = message.u8(offset)!
            switch recordType {
            case 1: out.append(" is_in")
            case 2: out.append(" is_ex")
            case 3: out.append(" to_in")
            case 4: out.append(" to_ex")
            case 5: out.append(" allow")
            case 6: out.append(" block")
            default:
                out.append("  [")
                out.append(unknownType)
                out.append("-#")
                out.append(recordType)
                out.append("]")
            }
            let sources = Int(message.be16(offset + 2)!)
            if length < offset + recordHeader + sources * size {
                out.append(" [invalid number of sources ")
                out.append(sources)
                out.append("]")
                return
            }
            try appendSources(
                message, at: offset + recordHeader, count: sources, size: size, listed: verbosity > 1, into: &out)
            offset += recordHeader + sources * size
            out.append("]")
        }
    }
}
