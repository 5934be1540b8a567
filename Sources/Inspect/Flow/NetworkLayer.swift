/// Where the IP packet starts inside a captured frame, for the link types netlab decodes.
public enum NetworkLayer {
    /// The IPv4 or IPv6 packet in `frame`, or nil for other link contents (ARP, LLC, …).
    public static func locate(_ frame: ByteView, linkType: LinkType) -> ByteView? {
        switch linkType {
        case .ethernet:
            guard let header = EthernetHeader(frame) else { return nil }
            var offset = 12
            var type = header.typeOrLength
            while EtherType.isVLAN(type), let inner = frame.be16(offset + 4) {
                type = inner
                offset += 4
            }
            guard type == EtherType.ipv4 || type == EtherType.ipv6 else { return nil }
            return frame.dropFirst(offset + 2)
        case .null, .loop:
            return frame.dropFirst(LoopbackHeader.length)
        case .linuxSLL:
            return frame.dropFirst(LinuxSLLHeader.length)
        case .linuxSLL2:
            return frame.dropFirst(LinuxSLL2Header.length)
        case .raw, .rawBSD, .rawLinktype, .ipv4, .ipv6:
            return frame
        case .ipnet:
            return frame.dropFirst(24)
        case .ipOverInfiniBand:
            return frame.dropFirst(44)
        case .broadcomTagPrepend:
            return locate(frame.dropFirst(4), linkType: .ethernet)
        default:
            return nil
        }
    }
}
