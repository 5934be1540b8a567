/// The facts about one TCP segment that narration and tracking need, decoded from a whole
/// link-layer frame. Returns nil for anything that is not a complete TCP header over IPv4 or
/// IPv6 (fragments, truncated headers, other protocols).
public struct TCPSegment: Sendable, Equatable {
    public var source: String
    public var destination: String
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var flags: UInt8
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var window: UInt16
    public var payload: [UInt8]

    public var isSYN: Bool { flags & TCPHeader.Flags.syn.rawValue != 0 }
    public var isACK: Bool { flags & TCPHeader.Flags.ack.rawValue != 0 }
    public var isFIN: Bool { flags & TCPHeader.Flags.fin.rawValue != 0 }
    public var isRST: Bool { flags & TCPHeader.Flags.rst.rawValue != 0 }

    public var sourceEndpoint: String { Self.endpoint(source, sourcePort) }
    public var destinationEndpoint: String { Self.endpoint(destination, destinationPort) }

    static func endpoint(_ address: String, _ port: UInt16) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    public static func parse(_ frame: ByteView, linkType: LinkType) -> TCPSegment? {
        var network: ByteView
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
            network = frame.dropFirst(offset + 2)
        case .null, .loop:
            network = frame.dropFirst(LoopbackHeader.length)
        case .linuxSLL:
            network = frame.dropFirst(LinuxSLLHeader.length)
        case .linuxSLL2:
            network = frame.dropFirst(LinuxSLL2Header.length)
        case .raw, .rawBSD, .rawLinktype, .ipv4, .ipv6:
            network = frame
        default:
            return nil
        }
        var text = TextBuffer(capacity: 64)
        let segment: ByteView
        let source: String, destination: String
        switch network.u8(0).map({ $0 >> 4 }) {
        case 4:
            guard let ip = IPv4Header(network), ip.proto == IPProtocol.tcp, ip.fragmentOffset == 0,
                ip.headerLength >= 20, Int(ip.totalLength) >= ip.headerLength
            else { return nil }
            segment = network.prefix(Int(ip.totalLength)).dropFirst(ip.headerLength)
            text.append(ipv4: ip.source)
            source = text.string
            text.removeAll()
            text.append(ipv4: ip.destination)
            destination = text.string
        case 6:
            guard let ip = IPv6Header(network), ip.nextHeader == IPProtocol.tcp else { return nil }
            segment = network.prefix(Int(ip.payloadLength) + IPv6Header.length).dropFirst(IPv6Header.length)
            text.append(ipv6: ip.source)
            source = text.string
            text.removeAll()
            text.append(ipv6: ip.destination)
            destination = text.string
        default:
            return nil
        }
        guard let tcp = TCPHeader(segment), let headerLength = tcp.headerLength, headerLength >= 20,
            let flags = tcp.flags, let sequence = tcp.sequenceNumber, let acknowledgment = tcp.acknowledgmentNumber,
            let window = tcp.window, segment.count >= headerLength
        else { return nil }
        return TCPSegment(
            source: source, destination: destination, sourcePort: tcp.sourcePort,
            destinationPort: tcp.destinationPort, flags: flags.rawValue, sequence: sequence,
            acknowledgment: acknowledgment, window: window, payload: segment.dropFirst(headerLength).bytes)
    }
}
