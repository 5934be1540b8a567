import Inspect

/// One UDP datagram of a capture, as lesson checks need it: its ports and payload (the
/// payload to follow a datagram through a relay, as `netlab compare` sends them).
public struct Datagram: Sendable, Equatable {
    public var frame: Int
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The captured payload (cut short when the capture's snapshot length cut the frame).
    public var payload: [UInt8]

    public init(frame: Int, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8]) {
        self.frame = frame
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payload = payload
    }

    /// The UDP payload of a frame, as far as it was captured and the UDP length allows.
    static func payload(_ frame: ByteView, linkType: LinkType, wireLength: Int) -> [UInt8] {
        guard let ip = IPPacket.decode(frame, linkType: linkType, wireLength: wireLength),
            let udp = UDPHeader(ip.transport)
        else { return [] }
        let declared = max(0, Int(udp.length ?? 8) - UDPHeader.length)
        let body = ip.transport.dropFirst(UDPHeader.length)
        return body.prefix(min(declared, body.count)).bytes
    }

    /// The destination port of the UDP datagram an ICMP (or ICMPv6) error quotes: the error
    /// carries the offending packet's IP header and at least 8 bytes after it (RFC 792,
    /// RFC 4443 §3.1), so the receiver knows which destination failed. Nil when the quote is
    /// cut short or is not UDP. Every read is bounds-checked.
    static func quotedDestinationPort(_ frame: ByteView, linkType: LinkType, wireLength: Int) -> UInt16? {
        guard let ip = IPPacket.decode(frame, linkType: linkType, wireLength: wireLength) else { return nil }
        // The ICMP header is 8 bytes (type, code, checksum, 4 unused); the quote follows.
        let quote = ip.transport.dropFirst(8)
        guard let first = quote.u8(0) else { return nil }
        let headerLength: Int, proto: UInt8?
        switch first >> 4 {
        case 4:
            headerLength = Int(first & 0x0F) * 4
            proto = quote.u8(9)
        case 6:
            // Extension headers before UDP are not followed: a lesson's datagram has none.
            headerLength = 40
            proto = quote.u8(6)
        default:
            return nil
        }
        guard headerLength >= 20, proto == IPProtocol.udp else { return nil }
        return quote.be16(headerLength + 2)
    }
}
