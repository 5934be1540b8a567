/// TCP lines as print-tcp.c writes them: flags, relative seq/ack, checksum with -v,
/// window, urgent pointer, options, payload length, and the first line of text protocols.
extension TcpdumpPrinter {
    mutating func printTCP(
        _ segment: ByteView, length: Int, ip: IPContext, fragmented: Bool, into out: inout TextBuffer
    ) throws(Truncated) {
        layer = "tcp"
        guard let tcp = TCPHeader(segment) else {
            appendAddress(ip.source, into: &out)
            out.append(" > ")
            appendAddress(ip.destination, into: &out)
            out.append(":")
            throw Truncated()
        }
        let sourcePort = tcp.sourcePort, destinationPort = tcp.destinationPort
        if ip.headerProtocol == IPProtocol.tcp {
            appendEndpoint(ip.source, port: sourcePort, into: &out)
            out.append(" > ")
            appendEndpoint(ip.destination, port: destinationPort, into: &out)
            out.append(": ")
        } else {
            out.append(sourcePort)
            out.append(" > ")
            out.append(destinationPort)
            out.append(": ")
        }
        // tcp_print checks that the fixed header was captured before it looks at its length.
        guard segment.count >= TCPHeader.minimumLength else { throw Truncated() }
        let headerLength = try tcp.headerLength.orTruncated()
        if headerLength < TCPHeader.minimumLength {
            out.append(" tcp ")
            out.append(length - headerLength)
            out.append(" [bad hdr length ")
            out.append(headerLength)
            out.append(" - too short, < 20]")
            return
        }
        var seq = tcp.sequenceNumber!
        var ack = tcp.acknowledgmentNumber!
        let window = tcp.window!
        let urgent = tcp.urgentPointer!
        let flags = tcp.flags!

        out.append("Flags [")
        appendFlags(flags, into: &out)
        out.append("]")

        var reversed = false, baseSeq: UInt32 = 0, baseAck: UInt32 = 0
        if flags.contains(.ack) {
            let adjusted = sequences.adjust(
                source: ip.source, destination: ip.destination, sourcePort: sourcePort,
                destinationPort: destinationPort, seq: seq, ack: ack, isSYN: flags.contains(.syn))
            seq = adjusted.seq
            ack = adjusted.ack
            reversed = adjusted.reversed
            baseSeq = adjusted.baseSeq
            baseAck = adjusted.baseAck
        }
        if headerLength > length {
            out.append(" [bad hdr length ")
            out.append(headerLength)
            out.append(" - too long, > ")
            out.append(length)
            out.append("]")
            return
        }
        if verbosity > 0 && !fragmented && segment.count >= length {
            if case .v6(let ip6) = ip.header, ip6.payloadLength == 0 {
                // tcpdump skips the check for jumbograms.
            } else {
                let sum = ip.transportChecksum(segment.prefix(length), protocol: IPProtocol.tcp)
                let field = tcp.checksum!
                out.append(", cksum 0x")
                out.append(hex: UInt64(field), minDigits: 4)
                if sum != 0 {
                    out.append(" (incorrect -> 0x")
                    out.append(hex: UInt64(InternetChecksum.shouldBe(field: field, computed: sum)), minDigits: 4)
                    out.append(")")
                } else {
                    out.append(" (correct)")
                }
            }
        }
        let payloadLength = length - headerLength
        if verbosity > 1 || payloadLength > 0 || !flags.isDisjoint(with: [.syn, .fin, .rst]) {
            out.append(", seq ")
            out.append(seq)
            if payloadLength > 0 {
                out.append(":")
                out.append(seq &+ UInt32(truncatingIfNeeded: payloadLength))
            }
        }
        if flags.contains(.ack) {
            out.append(", ack ")
            out.append(ack)
        }
        out.append(", win ")
        out.append(window)
        if flags.contains(.urg) {
            out.append(", urg ")
            out.append(urgent)
        }
        if headerLength == TCPHeader.minimumLength + 12, segment.count >= headerLength,
            segment.be32(TCPHeader.minimumLength) == 0x0101_080A
        {
            // Nearly every segment of an established Linux connection: two no-ops and a
            // timestamp, written directly (the loop below prints them the same way).
            out.append(", options [nop,nop,TS val ")
            out.append(segment.be32(TCPHeader.minimumLength + 4)!)
            out.append(" ecr ")
            out.append(segment.be32(TCPHeader.minimumLength + 8)!)
            out.append("]")
        } else if headerLength > TCPHeader.minimumLength {
            out.append(", options [")
            let bases = (reversed: reversed, seq: baseSeq, ack: baseAck)
            let ok = try printTCPOptions(
                segment.dropFirst(TCPHeader.minimumLength), length: headerLength - TCPHeader.minimumLength,
                sackBase: bases.reversed ? bases.seq : bases.ack, flags: flags,
                segmentCaptured: segment.count >= length, into: &out)
            if !ok { return }
            out.append("]")
        }
        out.append(", length ")
        out.append(payloadLength)
        guard payloadLength > 0 else { return }
        if segment.count < headerLength {
            // The options ended early (end-of-list) but the header runs on past the capture.
            out.append(" [remaining caplen(")
            out.append(segment.count)
            out.append(") < header length(")
            out.append(headerLength)
            out.append(")]")
            throw Truncated()
        }
        let payload = segment.dropFirst(headerLength)
        if flags.contains(.rst) && verbosity > 0 {
            appendRSTData(payload, length: payloadLength, into: &out)
            return
        }
        try printTCPApplication(
            payload, length: payloadLength, sourcePort: sourcePort, destinationPort: destinationPort, into: &out)
    }

    /// tcpdump's `tcp_flag_values` order: F S R P . U E W (bit order, ACK printed as `.`).
    func appendFlags(_ flags: TCPHeader.Flags, into out: inout TextBuffer) {
        let text = Self.flagTexts[Int(flags.rawValue)]
        let target = out.reserve(8)
        UnsafeMutableRawPointer(target).storeBytes(of: text.letters.littleEndian, as: UInt64.self)
        out.commit(Int(text.count))
    }

    /// The letters for each of the 256 flag bytes, at most 8, in one word (the first letter
    /// in the low byte).
    static let flagTexts: [(letters: UInt64, count: UInt8)] = (0..<256).map { value in
        let letters: [UInt8] =
            value == 0
            ? Array("none".utf8) : (0..<8).filter { value & (1 << $0) != 0 }.map { Array("FSRP.UEW".utf8)[$0] }
        var word: UInt64 = 0
        for (index, letter) in letters.enumerated() { word |= UInt64(letter) << (8 * UInt64(index)) }
        return (word, UInt8(letters.count))
    }

    /// Returns false after printing `[bad opt]` (the caller then ends the line there). Wire's
    /// reader frames and steps over the options as print-tcp.c does; this renders each one.
    private mutating func printTCPOptions(
        _ view: ByteView, length: Int, sackBase: UInt32, flags: TCPHeader.Flags, segmentCaptured: Bool,
        into out: inout TextBuffer
    ) throws(Truncated) -> Bool {
        var first = true
        func bad(_ out: inout TextBuffer) -> Bool {
            out.append("[bad opt]")
            if !first { out.append("]") }
            return false
        }
        for element in TCPOptions(view, length: length, stepping: .tcpdump) {
            if !first { out.append(",") }
            let option: TCPOptions.Option
            switch element {
            case .truncated: throw Truncated()
            case .malformed: return bad(&out)
            case .option(let value): option = value
            }
            let kind = option.kind, offset = option.dataOffset, dataLength = option.dataLength
            if let name = TCPOptionKind.name(kind) {
                out.append(name)
            } else {
                out.append("unknown-")
                out.append(kind)
            }
            // tcpdump's LENCHECK: the data must fit the header and have been captured; when it
            // was not captured, tcpdump closes the option list with `>` after the mark.
            let isFirst = first
            func check(_ needed: Int) throws(Truncated) -> Bool {
                if needed > option.room { return false }
                guard view.has(offset, needed) else {
                    out.append(" [|")
                    out.append(layer)
                    out.append(isFirst ? "]" : "]>")
                    throw Truncated(marked: true)
                }
                return true
            }
            switch kind {
            case TCPOptionKind.maxSegmentSize:
                guard try check(2) else { return bad(&out) }
                out.append(" ")
                out.append(view.be16(offset)!)
            case TCPOptionKind.windowScale:
                guard try check(1) else { return bad(&out) }
                out.append(" ")
                out.append(view.u8(offset)!)
            case TCPOptionKind.sack:
                if dataLength % 8 != 0 {
                    out.append(" invalid sack")
                } else {
                    out.append(" ")
                    out.append(dataLength / 8)
                    out.append(" ")
                    var index = 0
                    while index < dataLength {
                        guard try check(index + 8) else { return bad(&out) }
                        out.append("{")
                        out.append(view.be32(offset + index)! &- sackBase)
                        out.append(":")
                        out.append(view.be32(offset + index + 4)! &- sackBase)
                        out.append("}")
                        index += 8
                    }
                }
            case TCPOptionKind.echo, TCPOptionKind.echoReply, TCPOptionKind.cc, TCPOptionKind.ccNew,
                TCPOptionKind.ccEcho:
                guard try check(4) else { return bad(&out) }
                out.append(" ")
                out.append(view.be32(offset)!)
            case TCPOptionKind.timestamp:
                guard try check(8) else { return bad(&out) }
                out.append(" val ")
                out.append(view.be32(offset)!)
                out.append(" ecr ")
                out.append(view.be32(offset + 4)!)
            case TCPOptionKind.md5Signature:
                guard try check(16) else { return bad(&out) }
                // tcpdump built with libcrypto (as Debian's is) tries to verify the signature
                // first and says why it cannot: the segment was cut, or no secret (-M) was given.
                out.append(segmentCaptured ? " shared secret not supplied with -M, " : " snaplen too short, ")
                out.append("can't check - ")
                for index in 0..<16 { out.append(hex: UInt64(view.u8(offset + index)!), minDigits: 2) }
            case TCPOptionKind.scps:
                guard try check(2) else { return bad(&out) }
                out.append(" cap ")
                out.append(hex: UInt64(view.u8(offset)!), minDigits: 2)
                out.append(" id ")
                out.append(view.u8(offset + 1)!)
            case TCPOptionKind.authentication:
                if dataLength < 2 {
                    out.append(" (invalid)")
                } else {
                    // Two LENCHECKs in tcpdump: the key id prints even when the next is cut.
                    guard try check(1) else { return bad(&out) }
                    out.append(" keyid ")
                    out.append(view.u8(offset)!)
                    guard try check(2) else { return bad(&out) }
                    out.append(" rnextkeyid ")
                    out.append(view.u8(offset + 1)!)
                    if dataLength > 2 {
                        out.append(" mac 0x")
                        for index in 2..<dataLength {
                            guard try check(index + 1) else { return bad(&out) }
                            out.append(hex: UInt64(view.u8(offset + index)!), minDigits: 2)
                        }
                    }
                }
            case TCPOptionKind.endOfList, TCPOptionKind.noOperation, TCPOptionKind.sackPermitted:
                break
            case TCPOptionKind.userTimeout:
                guard try check(2) else { return bad(&out) }
                var value = UInt32(view.be16(offset)!)
                out.append(" 0x")
                out.append(hex: UInt64(value))
                value = value & 1 != 0 ? (value >> 1) * 60 : value >> 1
                out.append(" ")
                out.append(value)
            case TCPOptionKind.multipath:
                guard try check(dataLength) else { return bad(&out) }
                let whole = view.dropFirst(offset - 2).prefix(option.declaredLength)
                layer = "mptcp"  // as tcpdump's mptcp_print sets it, for any later truncation mark
                guard appendMultipath(whole, flags: flags, into: &out) else { return bad(&out) }
            case TCPOptionKind.fastOpen:
                guard try check(dataLength) else { return bad(&out) }
                out.append(" ")
                appendFastOpen(view.dropFirst(offset).prefix(dataLength), into: &out)
            case TCPOptionKind.experimental2:
                guard try check(dataLength) else { return bad(&out) }
                if dataLength < 2 { return bad(&out) }
                let magic = view.be16(offset)!
                out.append("-")
                if magic == 0xF989 {
                    out.append("tfo")
                    appendFastOpen(view.dropFirst(offset + 2).prefix(dataLength - 2), into: &out)
                } else {
                    out.append(hex: UInt64(magic), minDigits: 4)
                }
            default:
                if dataLength > 0 { out.append(" 0x") }
                for index in 0..<max(dataLength, 0) {
                    guard try check(index + 1) else { return bad(&out) }
                    out.append(hex: UInt64(view.u8(offset + index)!), minDigits: 2)
                }
            }
            let specified = dataLength + (kind > TCPOptionKind.noOperation ? 2 : 1)
            if specified != option.declaredLength {
                out.append("[len ")
                out.append(option.declaredLength)
                out.append("]")
            }
            first = false
        }
        return true
    }

    private func appendFastOpen(_ cookie: ByteView, into out: inout TextBuffer) {
        if cookie.isEmpty {
            out.append(" cookiereq")
        } else if cookie.count % 2 != 0 || cookie.count < 4 || cookie.count > 16 {
            out.append(" (invalid)")
        } else {
            out.append(" cookie ")
            for index in 0..<cookie.count { out.append(hex: UInt64(cookie.u8(index)!), minDigits: 2) }
        }
    }

    /// `-v` shows the text some stacks put in a reset segment (RFC 9293 §3.5.3).
    private func appendRSTData(_ payload: ByteView, length: Int, into out: inout TextBuffer) {
        out.append(payload.count >= length ? " [RST" : " [!RST")
        var count = length
        if count > 30 {
            count = 30
            out.append("+")
        }
        out.append(" ")
        for index in 0..<min(count, payload.count) { appendPrintable(payload.u8(index)!, into: &out) }
        out.append("]")
    }
}
