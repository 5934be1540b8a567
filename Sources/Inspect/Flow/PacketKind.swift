/// What a frame carries at the transport layer, in as much detail as lesson checks and
/// summaries need (TCP itself is followed by `TCPSegment` and `TCPTracker`).
public enum PacketKind: Sendable, Equatable {
    case tcp
    case udp(sourcePort: UInt16, destinationPort: UInt16, payloadLength: Int)
    /// ICMP destination unreachable (type 3), or ICMPv6 (type 1), with its code
    /// (3 / 4 means "port unreachable").
    case unreachable(code: UInt8, icmpv6: Bool)
    case icmp(type: UInt8, icmpv6: Bool)
    case other

    public static func classify(_ frame: ByteView, linkType: LinkType, wireLength: Int = 0) -> PacketKind {
        guard let ip = IPPacket.decode(frame, linkType: linkType, wireLength: wireLength), !ip.isLaterFragment
        else { return .other }
        let transport = ip.transport
        switch ip.proto {
        case IPProtocol.tcp:
            return .tcp
        case IPProtocol.udp:
            guard let udp = UDPHeader(transport) else { return .other }
            return .udp(
                sourcePort: udp.sourcePort, destinationPort: udp.destinationPort,
                payloadLength: max(0, Int(udp.length ?? 8) - 8))
        case IPProtocol.icmp where !ip.source.isIPv6, IPProtocol.icmpv6 where ip.source.isIPv6:
            let v6 = ip.proto == IPProtocol.icmpv6
            guard let icmp = ICMPHeader(transport) else { return .other }
            let unreachable = v6 ? ICMPv6Header.destinationUnreachable : ICMPHeader.unreachable
            if icmp.type == unreachable { return .unreachable(code: icmp.code ?? 0, icmpv6: v6) }
            return .icmp(type: icmp.type, icmpv6: v6)
        default:
            return .other
        }
    }

    public var isPortUnreachable: Bool {
        if case .unreachable(let code, let v6) = self { return v6 ? code == 4 : code == 3 }
        return false
    }
}
