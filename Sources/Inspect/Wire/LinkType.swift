/// Link-layer header types (libpcap DLT values as `pcap_datalink` reports them on Linux).
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP, version taken from the first nibble (DLT_RAW is 12 on Linux, 14 on some BSDs).
    public static let raw = LinkType(rawValue: 12)
    public static let rawBSD = LinkType(rawValue: 14)
    public static let rawLinktype = LinkType(rawValue: 101)
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)
    /// Solaris ipnet: a 24-byte header whose second byte is the address family.
    public static let ipnet = LinkType(rawValue: 226)
    /// IP over InfiniBand (RFC 4391): 44-byte pseudo-header with the EtherType at offset 40.
    public static let ipOverInfiniBand = LinkType(rawValue: 242)
    /// Ethernet behind a 4-byte Broadcom switch tag.
    public static let broadcomTagPrepend = LinkType(rawValue: 282)

    /// Whether netlab decodes this link type.
    public var isSupported: Bool {
        switch self {
        case .null, .ethernet, .raw, .rawBSD, .rawLinktype, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2, .ipnet,
            .ipOverInfiniBand, .broadcomTagPrepend:
            true
        default: false
        }
    }
}
