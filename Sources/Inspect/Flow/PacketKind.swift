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

    public static func classify(_ frame: ByteView, linkType: LinkType) -> PacketKind {
        guard let network = NetworkLayer.locate(frame, linkType: linkType) else { return .other }
        let proto: UInt8
        let transport: ByteView
        switch network.u8(0).map({ $0 >> 4 }) {
        case 4:
            guard let ip = IPv4Header(network), ip.headerLength >= 20, ip.fragmentOffset == 0 else { return .other }
            proto = ip.proto
            transport = network.dropFirst(ip.headerLength)
        case 6:
            guard let ip = IPv6Header(network) else { return .other }
            proto = ip.nextHeader
            transport = network.dropFirst(IPv6Header.length)
        default:
            return .other
        }
        switch proto {
        case IPProtocol.tcp:
            return .tcp
        case IPProtocol.udp:
            guard let udp = UDPHeader(transport) else { return .other }
            return .udp(
                sourcePort: udp.sourcePort, destinationPort: udp.destinationPort,
                payloadLength: max(0, Int(udp.length ?? 8) - 8))
        case IPProtocol.icmp, 58:
            let v6 = proto == 58
            guard let type = transport.u8(0) else { return .other }
            if (!v6 && type == 3) || (v6 && type == 1) { return .unreachable(code: transport.u8(1) ?? 0, icmpv6: v6) }
            return .icmp(type: type, icmpv6: v6)
        default:
            return .other
        }
    }

    public var isPortUnreachable: Bool {
        if case .unreachable(let code, let v6) = self { return v6 ? code == 4 : code == 3 }
        return false
    }
}
