/// Renders packets as `tcpdump -nn` (and `-nn -v`) lines, byte for byte.
///
/// Like tcpdump, the printer writes as far as the captured bytes allow; when a field it needs
/// was not captured it throws `Truncated`, and `print` ends the line with ` [|layer]`, naming
/// the layer that ran out. Malformed values print tcpdump's own markers (`bad-len`,
/// `(invalid)`, `[bad opt]`) and decoding stops at that layer; nothing traps.
public struct TcpdumpPrinter {
    /// 0 for `-nn`, 1 for `-nn -v`.
    public var verbosity: Int
    /// Conversation table for relative sequence numbers (bounded).
    public var sequences = RelativeSequenceTable()
    /// Seconds east of UTC for a Unix time, so timestamps print in local time as tcpdump does.
    public var utcOffset: (Int64) -> Int {
        didSet { lastSecond = .min }
    }
    /// Interface name for an index (LINUX_SLL2 prints it even without -e).
    public var interfaceName: (UInt32) -> String?

    /// The layer named in a truncation marker.
    var layer: StaticString = "ether"
    /// Whether the common Ethernet/IPv4/TCP line is written by its fast path (tests compare it
    /// with the general path by turning this off).
    public var commonLine = true
    /// Lines the fast path wrote (tests check that it is used).
    var commonLinesWritten = 0
    /// Text of recent IPv4 endpoints.
    var endpoints = EndpointTextCache()
    /// The Unix second last printed and its `HH:MM:SS` in local time (packets come many to a
    /// second: the clock and the time zone are worked out once per second).
    var lastSecond = Int64.min
    var lastClock: UInt64 = 0

    public init(
        verbosity: Int = 0, utcOffset: @escaping (Int64) -> Int = { _ in 0 },
        interfaceName: @escaping (UInt32) -> String? = { _ in nil }
    ) {
        self.verbosity = verbosity
        self.utcOffset = utcOffset
        self.interfaceName = interfaceName
    }

    /// Appends one line (or, with -v, one multi-line record) for a packet, ending in `\n`.
    /// - Parameters:
    ///   - bytes: the captured bytes (caplen of them).
    ///   - wireLength: the packet's length on the wire (`len` in the pcap record).
    public mutating func print(
        _ bytes: ByteView, wireLength: Int, linkType: LinkType, seconds: Int64, microseconds: Int,
        into out: inout TextBuffer
    ) {
        if bytes.isEmpty {
            out.append("[Invalid header: caplen==0]\n")
            return
        }
        appendTimestamp(seconds: seconds, microseconds: microseconds, into: &out)
        if verbosity == 0 && linkType == .ethernet && commonLine
            && printCommonTCP(bytes, wireLength: wireLength, into: &out)
        {
            return
        }
        do {
            try printLink(bytes, length: max(wireLength, bytes.count), linkType: linkType, into: &out)
        } catch  where !error.marked {
            out.append(" [|")
            out.append(layer)
            out.append("]")
        } catch {}
        out.append("\n")
    }

    /// tcpdump 4.99's ts_date_hmsfrac_format, odd records included: a time whose low 32 bits
    /// have the sign bit set (before 1970 or after 2038 in a 32-bit field) is an error, and the
    /// fraction prints as the record holds it (unsigned, at least 6 digits), even past 999999.
    mutating func appendTimestamp(seconds: Int64, microseconds: Int, into out: inout TextBuffer) {
        if UInt32(truncatingIfNeeded: seconds) & 0x8000_0000 != 0 {
            out.append("[Error converting time] ")
            return
        }
        if seconds != lastSecond {
            let local = seconds + Int64(utcOffset(seconds))
            var secondOfDay = local % 86_400
            if secondOfDay < 0 { secondOfDay += 86_400 }
            var clock = TextBuffer(capacity: 16)
            clock.append(zeroPadded: UInt64(secondOfDay / 3600), width: 2)
            clock.append(byte: UInt8(ascii: ":"))
            clock.append(zeroPadded: UInt64(secondOfDay / 60 % 60), width: 2)
            clock.append(byte: UInt8(ascii: ":"))
            clock.append(zeroPadded: UInt64(secondOfDay % 60), width: 2)
            lastClock = clock.withBytes { $0.loadUnaligned(as: UInt64.self) }
            lastSecond = seconds
        }
        let target = out.reserve(9)
        UnsafeMutableRawPointer(target).storeBytes(of: lastClock, as: UInt64.self)
        target[8] = UInt8(ascii: ".")
        out.commit(9)
        let fraction = UInt64(UInt32(truncatingIfNeeded: microseconds))
        if fraction > 999_999 { out.append(decimal: fraction) } else { out.append(zeroPadded: fraction, width: 6) }
        out.append(byte: UInt8(ascii: " "))
    }

    // MARK: - Link layer

    mutating func printLink(
        _ bytes: ByteView, length: Int, linkType: LinkType, into out: inout TextBuffer
    ) throws(Truncated) {
        // What the frame carries is decided by the shared demux (Flow asks the same function).
        // Link types that print nothing before the network layer go straight to it; the cases
        // below print what it does not decode (cut or unknown headers, other families, LLC),
        // and LINUX_SLL/SLL2, which print their own fields first.
        if linkType != .linuxSLL && linkType != .linuxSLL2,
            let payload = LinkLayer.payload(bytes, linkType: linkType, wireLength: length),
            try printEtherType(payload.etherType, payload.bytes, length: payload.length, into: &out)
        {
            return
        }
        switch linkType {
        case .ethernet:
            try printEthernet(bytes, length: length, into: &out)
        case .null, .loop:
            layer = "null"
            let family =
                linkType == .null ? LoopbackHeader.nullFamily(bytes) : LoopbackHeader.loopFamily(bytes)
            guard let family else { throw Truncated() }
            let payload = bytes.dropFirst(LoopbackHeader.length)
            let payloadLength = length - LoopbackHeader.length
            if family == LoopbackHeader.inet {
                try printIPv4(payload, length: payloadLength, into: &out)
            } else if LoopbackHeader.inet6Values.contains(family) {
                try printIPv6(payload, length: payloadLength, into: &out)
            } else {
                out.append("AF ")
                out.append(Self.bsdFamilyName(family))
                out.append(" (")
                out.append(family)
                out.append(")")
                appendUndecoded(payload, length: length, into: &out)
            }
        case .raw, .rawBSD, .rawLinktype:
            layer = "ip"
            guard let first = bytes.u8(0) else {
                out.append("truncated-ip ")
                out.append(length)
                return
            }
            switch first & 0xF0 {
            case 0x40: try printIPv4(bytes, length: length, into: &out)
            case 0x60: try printIPv6(bytes, length: length, into: &out)
            default:
                out.append("unknown ip ")
                out.append(first >> 4)
            }
        case .ipv4:
            try printIPv4(bytes, length: length, into: &out)
        case .ipv6:
            try printIPv6(bytes, length: length, into: &out)
        case .linuxSLL:
            try printLinuxSLL(bytes, length: length, into: &out)
        case .linuxSLL2:
            try printLinuxSLL2(bytes, length: length, into: &out)
        case .ipnet:
            layer = "ipnet"
            guard let family = bytes.u8(1), bytes.count >= 24 else { throw Truncated() }
            switch family {
            case 2: try printIPv4(bytes.dropFirst(24), length: length - 24, into: &out)
            case 26: try printIPv6(bytes.dropFirst(24), length: length - 24, into: &out)
            default:
                out.append(bytes.be32(16)!)
                out.append(" > ")
                out.append(bytes.be32(20)!)
                out.append(", family Unknown (")
                out.append(family)
                out.append(")")
                appendUndecoded(bytes.dropFirst(24), length: length, into: &out)
            }
        case .ipOverInfiniBand:
            layer = "ipoib"
            guard let type = bytes.be16(40), bytes.count >= 44 else { throw Truncated() }
            if try !printEtherType(type, bytes.dropFirst(44), length: length - 44, into: &out) {
                out.append(", ")
                appendEtherType(type, into: &out)
                appendUndecoded(bytes.dropFirst(44), length: length, into: &out)
            }
        case .broadcomTagPrepend:
            layer = "brcm-tag-prepend"
            guard bytes.count >= 4 else { throw Truncated() }
            try printEthernet(bytes.dropFirst(4), length: length - 4, into: &out)
        default:
            out.append("unsupported link-layer type ")
            out.append(linkType.rawValue)
            out.append(", length ")
            out.append(length)
        }
    }

    static func bsdFamilyName(_ family: UInt32) -> StaticString {
        switch family {
        case 2: "IPv4"
        case 7: "OSI"
        case 16: "Appletalk"
        case 23: "IPX"
        case 24, 28, 30: "IPv6"
        default: "Unknown"
        }
    }

    mutating func printEthernet(_ bytes: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "ether"
        guard let header = EthernetHeader(bytes) else { throw Truncated() }
        var offset = 12
        var type = header.typeOrLength
        var remaining = length - 14
        while EtherType.isVLAN(type) {
            guard remaining >= 4, let inner = bytes.be16(offset + 4) else {
                layer = "vlan"
                throw Truncated()
            }
            type = inner
            offset += 4
            remaining -= 4
        }
        let payload = bytes.dropFirst(offset + 2)
        if type <= EthernetHeader.maxLengthValue {
            // 802.3 length field: an LLC header follows, which netlab does not decode.
            layer = "llc"
            guard payload.prefix(Int(type)).count >= 3 else { throw Truncated() }
            out.append(linkAddress: header.source)
            out.append(" > ")
            out.append(linkAddress: header.destination)
            out.append(", 802.3, length ")
            out.append(type)
            out.append(": LLC")
            return
        }
        if try printEtherType(type, payload, length: remaining, into: &out) { return }
        out.append(linkAddress: header.source)
        out.append(" > ")
        out.append(linkAddress: header.destination)
        out.append(", ")
        appendEtherType(type, into: &out)
        appendUndecoded(payload, length: length, into: &out)
    }

    func appendEtherType(_ type: UInt16, into out: inout TextBuffer) {
        out.append("ethertype ")
        out.append(EtherType.name(type) ?? "Unknown")
        out.append(" (0x")
        out.append(hex: UInt64(type), minDigits: 4)
        out.append(")")
    }

    /// Prints the payload of an EtherType netlab decodes; false when it does not know the type.
    mutating func printEtherType(
        _ type: UInt16, _ payload: ByteView, length: Int, into out: inout TextBuffer
    ) throws(Truncated) -> Bool {
        switch type {
        case EtherType.ipv4: try printIPv4(payload, length: length, into: &out)
        case EtherType.ipv6: try printIPv6(payload, length: length, into: &out)
        case EtherType.arp, EtherType.reverseARP: try printARP(payload, length: length, into: &out)
        default: return false
        }
        return true
    }

    mutating func printLinuxSLL(_ bytes: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "sll"
        guard let header = LinuxSLLHeader(bytes) else { throw Truncated() }
        var type = header.protocolType
        var offset = LinuxSLLHeader.length
        var remaining = length - LinuxSLLHeader.length
        while type == EtherType.vlan {
            guard remaining >= 4, let inner = bytes.be16(offset + 2) else {
                layer = "vlan"
                throw Truncated()
            }
            // sll_if_print names the encapsulated type (a length means 802.2) before it.
            out.append("ethertype ")
            out.append(inner > EthernetHeader.maxLengthValue ? EtherType.name(inner) ?? "Unknown" : "Unknown")
            out.append(", ")
            type = inner
            offset += 4
            remaining -= 4
        }
        if type > EthernetHeader.maxLengthValue,
            try printEtherType(type, bytes.dropFirst(offset), length: remaining, into: &out)
        {
            return
        }
        let typeStart = out.count
        let typeName = LinuxPacketType.sllName(header.packetType)
        out.pad(from: typeStart, to: 3 - typeName.utf8CodeUnitCount)
        out.append(typeName)
        out.append(" ")
        if header.addressLength == 6 {
            out.append(linkAddress: bytes.dropFirst(6).prefix(6))
            out.append(" ")
        }
        switch type {
        case 1: out.append("802.3")
        case 4: out.append("802.2")
        case ...EthernetHeader.maxLengthValue:
            out.append("ethertype Unknown (0x")
            out.append(hex: UInt64(type), minDigits: 4)
            out.append(")")
        default: appendEtherType(type, into: &out)
        }
        appendUndecoded(bytes.dropFirst(offset), length: length, into: &out)
    }

    mutating func printLinuxSLL2(_ bytes: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "sll2"
        guard let header = LinuxSLL2Header(bytes) else { throw Truncated() }
        let start = out.count
        out.append(string: interfaceName(header.interfaceIndex) ?? "?")
        out.pad(from: start, to: 5)
        out.append(" ")
        let typeStart = out.count
        out.append(LinuxPacketType.name(header.packetType))
        out.pad(from: typeStart, to: 3)
        out.append(" ")
        let type = header.protocolType
        let payload = bytes.dropFirst(LinuxSLL2Header.length)
        let remaining = length - LinuxSLL2Header.length
        if type > EthernetHeader.maxLengthValue, try printEtherType(type, payload, length: remaining, into: &out) {
            return
        }
        appendEtherType(type, into: &out)
        appendUndecoded(payload, length: length, into: &out)
    }

    /// `, length N: ` and the payload in hex: what tcpdump prints for a frame it cannot decode.
    func appendUndecoded(_ payload: ByteView, length: Int, into out: inout TextBuffer) {
        out.append(", length ")
        out.append(length)
        out.append(": ")
        appendHexAndASCII(payload, into: &out)
    }

    /// tcpdump's print_unknown_data: hex words, 16 bytes a line, no ASCII column.
    func appendHex(_ view: ByteView, indent: StaticString, into out: inout TextBuffer) {
        var index = 0
        while index + 1 < view.count {
            if index % 16 == 0 {
                out.append(indent)
                out.append("0x")
                out.append(hex: UInt64(index), minDigits: 4)
                out.append(": ")
            }
            out.append(" ")
            out.append(hex: UInt64(view.u8(index)!), minDigits: 2)
            out.append(hex: UInt64(view.u8(index + 1)!), minDigits: 2)
            index += 2
        }
        if index < view.count {
            if index % 16 == 0 {
                out.append(indent)
                out.append("0x")
                out.append(hex: UInt64(index), minDigits: 4)
                out.append(": ")
            }
            out.append(" ")
            out.append(hex: UInt64(view.u8(index)!), minDigits: 2)
        }
    }

    /// tcpdump's default printer for payloads it cannot decode: `\n\t0x0000:  hex  ascii`.
    func appendHexAndASCII(_ view: ByteView, into out: inout TextBuffer) {
        var offset = 0
        while offset < view.count {
            let line = view.dropFirst(offset).prefix(16)
            out.append("\n\t0x")
            out.append(hex: UInt64(offset), minDigits: 4)
            out.append(": ")
            let hexStart = out.count
            var index = 0
            while index < line.count {
                out.append(" ")
                out.append(hex: UInt64(line.u8(index)!), minDigits: 2)
                if index + 1 < line.count { out.append(hex: UInt64(line.u8(index + 1)!), minDigits: 2) }
                index += 2
            }
            out.pad(from: hexStart, to: 40)
            out.append("  ")
            for index in 0..<line.count {
                let byte = line.u8(index)!
                out.append(byte: byte > 0x20 && byte < 0x7F ? byte : UInt8(ascii: "."))
            }
            offset += 16
        }
    }
}

/// Thrown when a field a printer needs was not captured.
public struct Truncated: Error {
    /// True when the printer already wrote its own truncation mark.
    var marked = false
}

extension Optional {
    /// The value, or `Truncated` when the bytes holding it were not captured.
    @inline(__always) func orTruncated() throws(Truncated) -> Wrapped {
        guard let value = self else { throw Truncated() }
        return value
    }
}

extension LinuxPacketType {
    /// LINUX_SLL packet types as tcpdump's `sll_print` names them.
    static func sllName(_ type: UInt16) -> StaticString {
        switch type {
        case 0: "In"
        case 1: "B"
        case 2: "M"
        case 3: "P"
        case 4: "Out"
        default: "?"
        }
    }
}
