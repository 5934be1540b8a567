/// ARP (RFC 826): hardware and protocol types and lengths, operation, then four addresses
/// whose sizes come from the two length fields.
public struct ARPPacket {
    public static let fixedLength = 8
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= Self.fixedLength else { return nil }
        self.view = view
    }
    public var hardwareType: UInt16 { view.be16(0)! }
    public var protocolType: UInt16 { view.be16(2)! }
    public var hardwareLength: Int { Int(view.u8(4)!) }
    public var protocolLength: Int { Int(view.u8(5)!) }
    public var operation: UInt16 { view.be16(6)! }

    public var senderHardwareOffset: Int { 8 }
    public var senderProtocolOffset: Int { 8 + hardwareLength }
    public var targetHardwareOffset: Int { 8 + hardwareLength + protocolLength }
    public var targetProtocolOffset: Int { 8 + 2 * hardwareLength + protocolLength }

    /// True when every address was captured.
    public var addressesCaptured: Bool { view.has(targetProtocolOffset, protocolLength) }

    public static func operationName(_ op: UInt16) -> StaticString? {
        switch op {
        case 1: "Request"
        case 2: "Reply"
        case 3: "Reverse Request"
        case 4: "Reverse Reply"
        case 8: "Inverse Request"
        case 9: "Inverse Reply"
        case 10: "NACK Reply"
        default: nil
        }
    }

    public static func hardwareName(_ type: UInt16) -> StaticString? {
        switch type {
        case 1: "Ethernet"
        case 2: "Experimental Ethernet"
        case 6: "TokenRing"
        case 15: "FrameRelay"
        case 19: "ATM"
        case 32: "InfiniBand"
        default: nil
        }
    }
}
