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
    /// The captured payload (may be shorter than `payloadLength` when the capture was cut).
    public var payload: [UInt8]
    /// Payload length from the IP and TCP headers, whatever was captured.
    public var payloadLength: Int = 0
    /// Options that matter for tracking (nil when absent).
    public var maximumSegmentSize: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted = false
    /// The timestamps option (RFC 7323): the sender's clock value, if present.
    public var timestampValue: UInt32?

    public var isSYN: Bool { flags & TCPHeader.Flags.syn.rawValue != 0 }
    public var isACK: Bool { flags & TCPHeader.Flags.ack.rawValue != 0 }
    public var isFIN: Bool { flags & TCPHeader.Flags.fin.rawValue != 0 }
    public var isRST: Bool { flags & TCPHeader.Flags.rst.rawValue != 0 }

    public var sourceEndpoint: String { Self.endpoint(source, sourcePort) }
    public var destinationEndpoint: String { Self.endpoint(destination, destinationPort) }

    /// `10.0.0.1:80` or `[::1]:80` (built per call: keep the result when it is used often).
    static func endpoint(_ address: String, _ port: UInt16) -> String {
        var text = TextBuffer(capacity: 56)
        let bracketed = address.utf8.contains(0x3A)
        if bracketed { text.append("[") }
        text.append(string: address)
        text.append(bracketed ? "]:" : ":")
        text.append(decimal: UInt64(port))
        return text.string
    }

    public static func parse(_ frame: ByteView, linkType: LinkType) -> TCPSegment? {
        guard let network = NetworkLayer.locate(frame, linkType: linkType) else { return nil }
        var text = TextBuffer(capacity: 64)
        let segment: ByteView
        let source: String, destination: String
        let transportLength: Int
        switch network.u8(0).map({ $0 >> 4 }) {
        case 4:
            guard let ip = IPv4Header(network), ip.proto == IPProtocol.tcp, ip.fragmentOffset == 0,
                ip.headerLength >= 20
            else { return nil }
            // A total length of 0 is a segmentation-offload packet captured before splitting:
            // its real length is the frame's (as tshark assumes).
            let total = ip.totalLength == 0 ? network.count : Int(ip.totalLength)
            guard total >= ip.headerLength else { return nil }
            segment = network.prefix(total).dropFirst(ip.headerLength)
            transportLength = total - ip.headerLength
            text.append(ipv4: ip.source)
            source = text.string
            text.removeAll()
            text.append(ipv4: ip.destination)
            destination = text.string
        case 6:
            guard let ip = IPv6Header(network), ip.nextHeader == IPProtocol.tcp else { return nil }
            segment = network.prefix(Int(ip.payloadLength) + IPv6Header.length).dropFirst(IPv6Header.length)
            transportLength = Int(ip.payloadLength)
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
        var result = TCPSegment(
            source: source, destination: destination, sourcePort: tcp.sourcePort,
            destinationPort: tcp.destinationPort, flags: flags.rawValue, sequence: sequence,
            acknowledgment: acknowledgment, window: window, payload: segment.dropFirst(headerLength).bytes)
        result.payloadLength = max(0, transportLength - headerLength)
        result.readOptions(segment.prefix(headerLength).dropFirst(TCPHeader.minimumLength))
        return result
    }

    /// MSS, window scale, SACK-permitted and timestamps, the options a tracker needs (RFC 9293 §3.2, RFC 7323).
    mutating func readOptions(_ options: ByteView) {
        var offset = 0
        while let kind = options.u8(offset) {
            if kind == TCPOptionKind.endOfList { return }
            if kind == TCPOptionKind.noOperation {
                offset += 1
                continue
            }
            guard let length = options.u8(offset + 1), length >= 2, options.has(offset, Int(length)) else { return }
            switch kind {
            case TCPOptionKind.maxSegmentSize where length == 4: maximumSegmentSize = options.be16(offset + 2)
            case TCPOptionKind.windowScale where length == 3: windowScale = options.u8(offset + 2)
            case TCPOptionKind.sackPermitted: sackPermitted = true
            case TCPOptionKind.timestamp where length == 10: timestampValue = options.be32(offset + 2)
            default: break
            }
            offset += Int(length)
        }
    }
}
