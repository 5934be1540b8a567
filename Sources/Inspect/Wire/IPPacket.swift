/// The network layer of a frame read once: addresses, the upper-layer protocol after any IPv6
/// extension headers, and where that protocol's header starts. Everything that needs "the
/// transport header of this frame" (Flow, packet kinds, lesson checks) asks this, with the
/// link demux of `LinkLayer`, so they agree with each other and with the tcpdump printer.
public struct IPPacket {
    public var source: IPAddress
    public var destination: IPAddress
    /// IPv6: the destination of the transport pseudo-header (after a routing header).
    public var finalDestination: IPAddress
    /// The upper-layer protocol (after IPv6 extension headers).
    public var proto: UInt8
    /// The captured transport bytes, cut where the IP length says the packet ends.
    public var transport: ByteView
    /// The transport length from the IP header(s), whatever was captured.
    public var transportLength: Int
    /// Part of a fragmented datagram (more fragments follow, or the offset is not zero):
    /// the transport bytes are not a whole segment.
    public var isFragment: Bool
    /// A later fragment: `transport` holds data, not a transport header.
    public var isLaterFragment: Bool
    /// For a fragment: the datagram's identification, and where `transport` goes in the
    /// reassembled payload (bytes), and whether more fragments follow. For IPv6, only when the
    /// upper-layer header follows the fragment header directly (else nil: not reassembled).
    public var fragment: (identification: UInt32, offset: Int, more: Bool)?

    /// Reads the IP packet of a frame; nil when it is not IP, or its headers are cut or invalid.
    public static func decode(_ frame: ByteView, linkType: LinkType, wireLength: Int) -> IPPacket? {
        guard let payload = LinkLayer.payload(frame, linkType: linkType, wireLength: wireLength) else { return nil }
        switch payload.etherType {
        case EtherType.ipv4: return decodeIPv4(payload.bytes)
        case EtherType.ipv6: return decodeIPv6(payload.bytes)
        default: return nil
        }
    }

    public static func decodeIPv4(_ network: ByteView) -> IPPacket? {
        guard let ip = IPv4Header(network), ip.version == 4, ip.headerLength >= IPv4Header.minimumLength else {
            return nil
        }
        // A total length of 0 is a segmentation-offload packet captured before splitting: its
        // real length is the frame's (as tshark assumes; tcpdump prints `bad-len 0`).
        let total = ip.totalLength == 0 ? network.count : Int(ip.totalLength)
        guard total >= ip.headerLength, network.count >= ip.headerLength else { return nil }
        let source = IPAddress.v4(ip.sourceAddress), destination = IPAddress.v4(ip.destinationAddress)
        return IPPacket(
            source: source, destination: destination, finalDestination: IPAddress(ip.finalDestination) ?? destination,
            proto: ip.proto,
            transport: network.prefix(total).dropFirst(ip.headerLength), transportLength: total - ip.headerLength,
            isFragment: ip.fragmentOffset != 0 || ip.moreFragments, isLaterFragment: ip.fragmentOffset != 0,
            fragment: ip.fragmentOffset != 0 || ip.moreFragments
                ? (UInt32(ip.identification), ip.fragmentOffset, ip.moreFragments) : nil)
    }

    public static func decodeIPv6(_ network: ByteView) -> IPPacket? {
        guard let ip = IPv6Header(network), ip.version == 6 else { return nil }
        var chain = IPv6ExtensionChain(ip)
        var fragmented = false
        var fragmentInfo: (identification: UInt32, offset: Int, more: Bool)?
        var fragmentEnd = -1
        while let element = chain.next() {
            switch element {
            case .fragment(let fragment, let offset):
                fragmented = fragmented || fragment.moreFragments || fragment.offsetField != 0
                if fragment.moreFragments || fragment.offsetField != 0 {
                    fragmentInfo = (fragment.identification, Int(fragment.offsetField), fragment.moreFragments)
                    fragmentEnd = offset + IPv6FragmentHeader.length
                }
            case .hopByHop, .destinationOptions, .routing:
                continue
            case .truncated, .invalid:
                return nil
            case .upperLayer(let proto, let offset), .laterFragment(let proto, let offset):
                let later: Bool
                if case .laterFragment = element { later = true } else { later = false }
                let total = chain.payloadLength + IPv6Header.length
                return IPPacket(
                    source: IPAddress(ip.source)!, destination: IPAddress(ip.destination)!,
                    finalDestination: IPAddress(chain.finalDestination)!, proto: proto,
                    transport: network.prefix(total).dropFirst(offset), transportLength: max(0, total - offset),
                    isFragment: fragmented, isLaterFragment: later,
                    fragment: offset == fragmentEnd ? fragmentInfo : nil)
            }
        }
        return nil
    }
}
