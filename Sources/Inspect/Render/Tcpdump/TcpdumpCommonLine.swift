/// The line most packets of a capture get — Ethernet, IPv4 without options or fragments, TCP
/// with no options, the established-connection timestamp or Linux's SYN options, all of it
/// captured — written in one pass without the general printer's layer-by-layer checks.
///
/// It prints exactly what the general path prints for such a packet (`CommonLineTests`
/// compares the two on generated packets); anything else, or `-v`, returns false having
/// written nothing, and the general path prints the packet.
extension TcpdumpPrinter {
    /// The option lists written here, by their bytes.
    private enum CommonOptions {
        case none
        /// nop,nop,TS val V ecr E (12 bytes).
        case timestamp
        /// mss M,sackOK,TS val V ecr E,nop,wscale W (20 bytes): Linux's SYN and SYN-ACK.
        case linuxSYN
    }

    /// The longest line this writes (addresses, five 10-digit numbers, all flags, options).
    private static let commonLineMaximum = 320

    mutating func printCommonTCP(_ bytes: ByteView, wireLength: Int, into out: inout TextBuffer) -> Bool {
        let raw = bytes.base
        let captured = raw.count
        // Ethernet II (no VLAN tag) carrying IPv4 with a 20-byte header, not a fragment.
        guard captured >= 54, raw[12] == 0x08, raw[13] == 0x00, raw[14] == 0x45, raw[20] & 0x3F == 0, raw[21] == 0,
            raw[23] == IPProtocol.tcp
        else { return false }
        let total = Int(raw[16]) << 8 | Int(raw[17])
        // The whole IP packet captured and on the wire (Ethernet padding may follow it).
        guard total >= 40, captured - 14 >= total, max(wireLength, captured) - 14 >= total else { return false }
        let tcp = 34
        let headerLength = Int(raw[tcp + 12] >> 4) &* 4
        guard headerLength >= 20, headerLength <= total - 20 else { return false }
        let options: CommonOptions
        switch headerLength {
        case 20: options = .none
        case 32 where Self.load32(raw, tcp + 20) == 0x0101_080A: options = .timestamp
        case 40
        where raw[tcp + 20] == 2 && raw[tcp + 21] == 4 && Self.load32(raw, tcp + 24) == 0x0402_080A
            && raw[tcp + 36] == 1 && raw[tcp + 37] == 3 && raw[tcp + 38] == 3:
            options = .linuxSYN
        default: return false
        }
        let sourcePort = UInt16(raw[tcp]) << 8 | UInt16(raw[tcp + 1])
        let destinationPort = UInt16(raw[tcp + 2]) << 8 | UInt16(raw[tcp + 3])
        let payloadLength = total - 20 - headerLength
        if payloadLength > 0
            && (Self.hasTextDecoder(sourcePort) || Self.hasTextDecoder(destinationPort))
        {
            return false
        }
        layer = "tcp"

        let flags = TCPHeader.Flags(rawValue: raw[tcp + 13])
        var seq = Self.load32(raw, tcp + 4)
        var ack = Self.load32(raw, tcp + 8)
        if flags.contains(.ack) {
            let addresses = bytes.dropFirst(26)
            let adjusted = sequences.adjust(
                source: addresses.prefix(4), destination: addresses.dropFirst(4).prefix(4), sourcePort: sourcePort,
                destinationPort: destinationPort, seq: seq, ack: ack, isSYN: flags.contains(.syn))
            seq = adjusted.seq
            ack = adjusted.ack
        }

        out.append("IP ")
        endpoints.append(address: Self.load32(raw, 26), port: sourcePort, into: &out)
        out.append(" > ")
        endpoints.append(address: Self.load32(raw, 30), port: destinationPort, into: &out)
        out.append(": Flags [")
        appendFlags(flags, into: &out)
        let start = out.reserve(Self.commonLineMaximum)
        var line = LineCursor(at: start)
        line.text("]")
        if payloadLength > 0 || !flags.isDisjoint(with: [.syn, .fin, .rst]) {
            line.text(", seq ")
            line.number(seq)
            if payloadLength > 0 {
                line.text(":")
                line.number(seq &+ UInt32(truncatingIfNeeded: payloadLength))
            }
        }
        if flags.contains(.ack) {
            line.text(", ack ")
            line.number(ack)
        }
        line.text(", win ")
        line.number(UInt32(raw[tcp + 14]) << 8 | UInt32(raw[tcp + 15]))
        if flags.contains(.urg) {
            line.text(", urg ")
            line.number(UInt32(raw[tcp + 18]) << 8 | UInt32(raw[tcp + 19]))
        }
        switch options {
        case .none: break
        case .timestamp:
            line.text(", options [nop,nop,TS val ")
            line.number(Self.load32(raw, tcp + 24))
            line.text(" ecr ")
            line.number(Self.load32(raw, tcp + 28))
            line.text("]")
        case .linuxSYN:
            line.text(", options [mss ")
            line.number(UInt32(raw[tcp + 22]) << 8 | UInt32(raw[tcp + 23]))
            line.text(",sackOK,TS val ")
            line.number(Self.load32(raw, tcp + 28))
            line.text(" ecr ")
            line.number(Self.load32(raw, tcp + 32))
            line.text(",nop,wscale ")
            line.number(UInt32(raw[tcp + 39]))
            line.text("]")
        }
        line.text(", length ")
        line.number(UInt32(payloadLength))
        line.text("\n")
        out.commit(line.at - start)
        commonLinesWritten &+= 1
        return true
    }

    /// Where the next byte of the line goes (a struct, not local functions capturing a
    /// pointer: a captured variable would be boxed and checked on every use).
    private struct LineCursor {
        var at: UnsafeMutablePointer<UInt8>

        @inline(__always) mutating func text(_ literal: StaticString) {
            at.update(from: literal.utf8Start, count: literal.utf8CodeUnitCount)
            at += literal.utf8CodeUnitCount
        }

        @inline(__always) mutating func number(_ value: UInt32) { at += TextBuffer.write(decimal: value, to: at) }
    }

    @inline(__always) private static func load32(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
