/// The facts about one TCP segment that narration and tracking need, decoded from a whole
/// link-layer frame through the shared reading (`IPPacket`: link demux, IPv4, IPv6 extension
/// headers). Returns nil for anything that is not a complete TCP header over IPv4 or IPv6
/// (fragments, truncated or invalid headers, other protocols).
public struct TCPSegment: Sendable, Equatable {
    public var sourceAddress: IPAddress
    public var destinationAddress: IPAddress
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
    /// SACK blocks (RFC 2018): byte ranges after a hole the receiver already holds, absolute
    /// sequence numbers, left edge first.
    public var sackBlocks: [SACKBlock] = []

    public var isSYN: Bool { flags & TCPHeader.Flags.syn.rawValue != 0 }
    public var isACK: Bool { flags & TCPHeader.Flags.ack.rawValue != 0 }
    public var isFIN: Bool { flags & TCPHeader.Flags.fin.rawValue != 0 }
    public var isRST: Bool { flags & TCPHeader.Flags.rst.rawValue != 0 }

    /// The typed endpoints connections are keyed by.
    public var sourceEndpointValue: Endpoint { Endpoint(address: sourceAddress, port: sourcePort) }
    public var destinationEndpointValue: Endpoint { Endpoint(address: destinationAddress, port: destinationPort) }

    /// Addresses and endpoints as text, for display (built per call).
    public var source: String { sourceAddress.text }
    public var destination: String { destinationAddress.text }
    public var sourceEndpoint: String { sourceEndpointValue.text }
    public var destinationEndpoint: String { destinationEndpointValue.text }

    public static func parse(_ frame: ByteView, linkType: LinkType, wireLength: Int = 0) -> TCPSegment? {
        guard let ip = IPPacket.decode(frame, linkType: linkType, wireLength: wireLength),
            ip.proto == IPProtocol.tcp, !ip.isFragment
        else { return nil }
        return parse(ip)
    }

    /// The segment in an IP packet's transport bytes (a whole datagram, or one reassembled).
    static func parse(_ ip: IPPacket) -> TCPSegment? {
        let segment = ip.transport
        // The fixed header must be captured (as tcpdump requires to print the flags); options
        // cut by the capture are read as far as they go, like the printer does.
        guard let tcp = TCPHeader(segment), segment.count >= TCPHeader.minimumLength,
            let headerLength = tcp.headerLength, headerLength >= 20, headerLength <= ip.transportLength,
            let flags = tcp.flags, let sequence = tcp.sequenceNumber, let acknowledgment = tcp.acknowledgmentNumber,
            let window = tcp.window
        else { return nil }
        var result = TCPSegment(
            sourceAddress: ip.source, destinationAddress: ip.destination, sourcePort: tcp.sourcePort,
            destinationPort: tcp.destinationPort, flags: flags.rawValue, sequence: sequence,
            acknowledgment: acknowledgment, window: window, payload: segment.dropFirst(headerLength).bytes)
        result.payloadLength = max(0, ip.transportLength - headerLength)
        result.readOptions(segment.prefix(headerLength).dropFirst(TCPHeader.minimumLength))
        return result
    }

    /// MSS, window scale, SACK-permitted, SACK blocks and timestamps, the options a tracker needs (RFC 9293 §3.2, RFC 7323).
    mutating func readOptions(_ options: ByteView) {
        for element in TCPOptions(options) {
            guard case .option(let option) = element else { return }
            let data = option.data
            switch option.kind {
            case TCPOptionKind.maxSegmentSize where data.count == 2: maximumSegmentSize = data.be16(0)
            case TCPOptionKind.windowScale where data.count == 1: windowScale = data.u8(0)
            case TCPOptionKind.sackPermitted: sackPermitted = true
            case TCPOptionKind.timestamp where data.count == 8: timestampValue = data.be32(0)
            case TCPOptionKind.sack where data.count % 8 == 0:
                for offset in stride(from: 0, to: data.count, by: 8) {
                    if let left = data.be32(offset), let right = data.be32(offset + 4) {
                        sackBlocks.append(SACKBlock(left: left, right: right))
                    }
                }
            default: break
            }
        }
    }
}

/// One SACK block: the receiver holds bytes left..<right (RFC 2018 §3).
public struct SACKBlock: Sendable, Equatable {
    public var left: UInt32
    public var right: UInt32
    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}
