/// Linux "cooked" capture headers (LINKTYPE_LINUX_SLL, 16 bytes; LINKTYPE_LINUX_SLL2, 20 bytes).
public struct LinuxSLLHeader {
    public static let length = 16
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= Self.length else { return nil }
        self.view = view
    }
    public var packetType: UInt16 { view.be16(0)! }
    public var addressType: UInt16 { view.be16(2)! }
    public var addressLength: UInt16 { view.be16(4)! }
    public var protocolType: UInt16 { view.be16(14)! }
}

public struct LinuxSLL2Header {
    public static let length = 20
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= Self.length else { return nil }
        self.view = view
    }
    public var protocolType: UInt16 { view.be16(0)! }
    public var interfaceIndex: UInt32 { view.be32(4)! }
    public var addressType: UInt16 { view.be16(8)! }
    public var packetType: UInt8 { view.u8(10)! }
    public var addressLength: UInt8 { view.u8(11)! }
}

public enum LinuxPacketType {
    /// tcpdump's `sll_pkttype_values`.
    public static func name(_ type: UInt8) -> StaticString {
        switch type {
        case 0: "In"
        case 1: "B"
        case 2: "M"
        case 3: "P"
        case 4: "Out"
        default: "?"
        }
    }
}
