/// IPv4 header (RFC 791 §3.1). The view requires the 20 fixed bytes; options are read
/// through `optionsView` and may be cut short by the capture.
public struct IPv4Header {
    public static let minimumLength = 20

    public static let flagReserved: UInt16 = 0x8000
    public static let flagDontFragment: UInt16 = 0x4000
    public static let flagMoreFragments: UInt16 = 0x2000
    public static let offsetMask: UInt16 = 0x1FFF

    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= Self.minimumLength else { return nil }
        self.view = view
    }

    public var version: UInt8 { view.u8(0)! >> 4 }
    /// Header length in bytes (IHL × 4).
    public var headerLength: Int { Int(view.u8(0)! & 0x0F) * 4 }
    public var tos: UInt8 { view.u8(1)! }
    public var totalLength: UInt16 { view.be16(2)! }
    public var identification: UInt16 { view.be16(4)! }
    /// Flags and fragment offset as on the wire.
    public var flagsAndOffset: UInt16 { view.be16(6)! }
    /// Fragment offset in bytes.
    public var fragmentOffset: Int { Int(flagsAndOffset & Self.offsetMask) * 8 }
    public var moreFragments: Bool { flagsAndOffset & Self.flagMoreFragments != 0 }
    public var ttl: UInt8 { view.u8(8)! }
    public var proto: UInt8 { view.u8(9)! }
    public var checksum: UInt16 { view.be16(10)! }
    public var sourceAddress: UInt32 { view.be32(12)! }
    public var destinationAddress: UInt32 { view.be32(16)! }
    public var source: ByteView { view.dropFirst(12).prefix(4) }
    public var destination: ByteView { view.dropFirst(16).prefix(4) }
    /// The option bytes that were captured (may be shorter than the header says).
    public var optionsView: ByteView { view.prefix(headerLength).dropFirst(Self.minimumLength) }
}

/// IP protocol numbers (IANA) with tcpdump's names (`ipproto_values`).
public enum IPProtocol {
    public static let hopByHop: UInt8 = 0
    public static let icmp: UInt8 = 1
    public static let igmp: UInt8 = 2
    public static let ipip: UInt8 = 4
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let ipv6: UInt8 = 41
    public static let routing: UInt8 = 43
    public static let fragment: UInt8 = 44
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let noNextHeader: UInt8 = 59
    public static let destinationOptions: UInt8 = 60
    public static let dccp: UInt8 = 33
    public static let sctp: UInt8 = 132
    public static let mobility: UInt8 = 135
    public static let ethernet: UInt8 = 143

    public static func name(_ proto: UInt8) -> StaticString? {
        switch proto {
        case 0: "Options"
        case 1: "ICMP"
        case 2: "IGMP"
        case 4: "IPIP"
        case 6: "TCP"
        case 8: "EGP"
        case 9: "IGRP"
        case 17: "UDP"
        case 33: "DCCP"
        case 41: "IPv6"
        case 43: "Routing"
        case 44: "Fragment"
        case 46: "RSVP"
        case 47: "GRE"
        case 50: "ESP"
        case 51: "AH"
        case 55: "Mobile IP"
        case 58: "ICMPv6"
        case 62: "Mobile IP (old)"
        case 88: "EIGRP"
        case 89: "OSPF"
        case 103: "PIM"
        case 108: "Compressed IP"
        case 112: "VRRP"
        case 113: "PGM"
        case 132: "SCTP"
        case 135: "Mobility"
        default: nil
        }
    }
}
