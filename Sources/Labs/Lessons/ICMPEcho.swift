import Inspect

/// One ICMP (or ICMPv6) echo request or reply of a capture: what `ping` sends and the
/// destination's kernel answers, matched by identifier and sequence number (RFC 792, RFC 4443 §4).
public struct ICMPEcho: Sendable, Equatable {
    public var frame: Int
    public var isRequest: Bool
    public var identifier: UInt16
    public var sequence: UInt16
    public var source: String
    public var destination: String

    public init(
        frame: Int, isRequest: Bool, identifier: UInt16, sequence: UInt16, source: String, destination: String
    ) {
        self.frame = frame
        self.isRequest = isRequest
        self.identifier = identifier
        self.sequence = sequence
        self.source = source
        self.destination = destination
    }

    /// The echo request or reply in a frame; nil for anything else or a header cut short.
    static func decode(_ frame: ByteView, linkType: LinkType, wireLength: Int, number: Int) -> ICMPEcho? {
        guard let ip = IPPacket.decode(frame, linkType: linkType, wireLength: wireLength), !ip.isLaterFragment,
            let header = ICMPHeader(ip.transport), let identifier = header.identifier, let sequence = header.sequence
        else { return nil }
        let isRequest: Bool
        switch (ip.proto, header.type) {
        case (IPProtocol.icmp, ICMPHeader.echoRequest), (IPProtocol.icmpv6, ICMPv6Header.echoRequest):
            isRequest = true
        case (IPProtocol.icmp, ICMPHeader.echoReply), (IPProtocol.icmpv6, ICMPv6Header.echoReply):
            isRequest = false
        default: return nil
        }
        return ICMPEcho(
            frame: number, isRequest: isRequest, identifier: identifier, sequence: sequence,
            source: ip.source.text, destination: ip.destination.text)
    }
}
