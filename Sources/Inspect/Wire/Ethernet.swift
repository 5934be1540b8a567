/// Ethernet II / 802.3 header (IEEE 802.3 §3.2): destination, source, type-or-length.
public struct EthernetHeader {
    public static let length = 14
    /// Values up to this are an 802.3 length, not an EtherType.
    public static let maxLengthValue: UInt16 = 1500

    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= Self.length else { return nil }
        self.view = view
    }
    public var destination: ByteView { view.prefix(6) }
    public var source: ByteView { view.dropFirst(6).prefix(6) }
    public var typeOrLength: UInt16 { view.be16(12)! }
}

/// EtherType values netlab knows by name.
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let reverseARP: UInt16 = 0x8035
    public static let vlan: UInt16 = 0x8100
    public static let ipv6: UInt16 = 0x86DD
    public static let qinq: UInt16 = 0x88A8
    public static let vlan9100: UInt16 = 0x9100
    public static let vlan9200: UInt16 = 0x9200

    public static func isVLAN(_ type: UInt16) -> Bool {
        type == vlan || type == qinq || type == vlan9100 || type == vlan9200
    }

    /// tcpdump's names (`ethertype_values`) for the types netlab may mention.
    public static func name(_ type: UInt16) -> StaticString? {
        switch type {
        case 0x0800: "IPv4"
        case 0x0806: "ARP"
        case 0x8035: "Reverse ARP"
        case 0x86DD: "IPv6"
        case 0x8100: "802.1Q"
        case 0x88A8: "802.1Q-QinQ"
        case 0x9100: "802.1Q-9100"
        case 0x9200: "802.1Q-9200"
        case 0x8847: "MPLS unicast"
        case 0x8848: "MPLS multicast"
        case 0x8863: "PPPoE D"
        case 0x8864: "PPPoE S"
        case 0x888E: "EAPOL"
        case 0x88CC: "LLDP"
        case 0x8902: "CFM"
        case 0x88F7: "PTP"
        case 0x9000: "Loopback"
        case 0x0842: "Wake-On-LAN"
        case 0x22F3: "TRILL"
        case 0x88E5: "802.1AE MACsec"
        case 0x8809: "Slow Protocols"
        case 0x8137: "IPX"
        case 0x809B: "Appletalk"
        case 0x6558: "Transparent Ethernet Bridging"
        default: nil
        }
    }
}
