/// The link-layer demux: which network protocol a frame carries and where it starts, for every
/// link type netlab decodes. The tcpdump printer, Flow and the lesson checks all ask this one
/// function, so a frame is IP for all of them or for none (the rules are tcpdump's: the
/// address families of NULL/LOOP/IPNET, VLAN tags on Ethernet and LINUX_SLL, 802.3 lengths).
public enum LinkLayer {
    /// The network-layer packet inside a frame.
    public struct Payload {
        /// The EtherType (or what the link header's family maps to: 0x0800 / 0x86DD).
        public var etherType: UInt16
        /// The captured bytes from the network header on.
        public var bytes: ByteView
        /// Its length on the wire (the frame's wire length minus the link headers).
        public var length: Int
    }

    /// What the frame carries, or nil when the link header is cut, unknown, or an 802.3 length.
    public static func payload(_ frame: ByteView, linkType: LinkType, wireLength: Int) -> Payload? {
        let length = max(wireLength, frame.count)
        func ip(_ offset: Int, _ type: UInt16) -> Payload {
            Payload(etherType: type, bytes: frame.dropFirst(offset), length: length - offset)
        }
        switch linkType {
        case .ethernet:
            return ethernet(frame, length: length)
        case .broadcomTagPrepend:
            guard frame.count >= 4 else { return nil }
            return ethernet(frame.dropFirst(4), length: length - 4)
        case .null, .loop:
            let family =
                linkType == .null ? LoopbackHeader.nullFamily(frame) : LoopbackHeader.loopFamily(frame)
            guard let family else { return nil }
            if family == LoopbackHeader.inet { return ip(LoopbackHeader.length, EtherType.ipv4) }
            if LoopbackHeader.inet6Values.contains(family) { return ip(LoopbackHeader.length, EtherType.ipv6) }
            return nil
        case .raw, .rawBSD, .rawLinktype:
            switch frame.u8(0).map({ $0 >> 4 }) {
            case 4: return ip(0, EtherType.ipv4)
            case 6: return ip(0, EtherType.ipv6)
            default: return nil
            }
        case .ipv4:
            return ip(0, EtherType.ipv4)
        case .ipv6:
            return ip(0, EtherType.ipv6)
        case .linuxSLL:
            guard let header = LinuxSLLHeader(frame) else { return nil }
            var type = header.protocolType
            var offset = LinuxSLLHeader.length
            while type == EtherType.vlan {
                guard length - offset >= 4, let inner = frame.be16(offset + 2) else { return nil }
                type = inner
                offset += 4
            }
            return type > EthernetHeader.maxLengthValue ? ip(offset, type) : nil
        case .linuxSLL2:
            guard let header = LinuxSLL2Header(frame) else { return nil }
            let type = header.protocolType
            return type > EthernetHeader.maxLengthValue ? ip(LinuxSLL2Header.length, type) : nil
        case .ipnet:
            guard frame.count >= 24, let family = frame.u8(1) else { return nil }
            switch family {
            case 2: return ip(24, EtherType.ipv4)
            case 26: return ip(24, EtherType.ipv6)
            default: return nil
            }
        case .ipOverInfiniBand:
            guard frame.count >= 44, let type = frame.be16(40) else { return nil }
            return ip(44, type)
        default:
            return nil
        }
    }

    /// Ethernet II with any number of VLAN tags; nil for 802.3 frames (an LLC header follows).
    static func ethernet(_ frame: ByteView, length: Int) -> Payload? {
        guard let header = EthernetHeader(frame) else { return nil }
        var offset = 12
        var type = header.typeOrLength
        var remaining = length - EthernetHeader.length
        while EtherType.isVLAN(type) {
            guard remaining >= 4, let inner = frame.be16(offset + 4) else { return nil }
            type = inner
            offset += 4
            remaining -= 4
        }
        guard type > EthernetHeader.maxLengthValue else { return nil }
        return Payload(etherType: type, bytes: frame.dropFirst(offset + 2), length: remaining)
    }
}
