/// IPv6 fixed header (RFC 8200 §3) and the extension headers netlab walks.
public struct IPv6Header {
    public static let length = 40

    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= Self.length else { return nil }
        self.view = view
    }

    public var version: UInt8 { view.u8(0)! >> 4 }
    /// Version, traffic class and flow label as one word.
    public var versionClassFlow: UInt32 { view.be32(0)! }
    public var trafficClass: UInt8 { UInt8(truncatingIfNeeded: versionClassFlow >> 20) }
    public var flowLabel: UInt32 { versionClassFlow & 0x000F_FFFF }
    public var payloadLength: UInt16 { view.be16(4)! }
    public var nextHeader: UInt8 { view.u8(6)! }
    public var hopLimit: UInt8 { view.u8(7)! }
    public var source: ByteView { view.dropFirst(8).prefix(16) }
    public var destination: ByteView { view.dropFirst(24).prefix(16) }
}

/// A hop-by-hop or destination options header (RFC 8200 §4.3, §4.6): next header, length in
/// 8-octet units not counting the first, then TLV options.
public struct IPv6OptionsHeader {
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= 2 else { return nil }
        self.view = view
    }
    public var nextHeader: UInt8 { view.u8(0)! }
    public var length: Int { (Int(view.u8(1)!) + 1) * 8 }
}

/// Routing header (RFC 8200 §4.4; type 0 RFC 2460, deprecated by RFC 5095; type 4 Segment Routing, RFC 8754).
public struct IPv6RoutingHeader {
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= 4 else { return nil }
        self.view = view
    }
    /// A view that may be shorter than the 4 fixed bytes: read it through `view`'s checked reads.
    public init(unchecked view: ByteView) { self.view = view }
    public var nextHeader: UInt8 { view.u8(0)! }
    /// Header extension length in 8-octet units, not counting the first.
    public var lengthUnits: UInt8 { view.u8(1)! }
    public var length: Int { (Int(lengthUnits) + 1) * 8 }
    public var routingType: UInt8 { view.u8(2)! }
    public var segmentsLeft: UInt8 { view.u8(3)! }
}

/// Fragment header (RFC 8200 §4.5).
public struct IPv6FragmentHeader {
    public static let length = 8
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= Self.length else { return nil }
        self.view = view
    }
    public var nextHeader: UInt8 { view.u8(0)! }
    /// Offset in 8-octet units (as tcpdump prints it, shifted but not multiplied).
    public var offsetField: UInt16 { view.be16(2)! & 0xFFF8 }
    public var moreFragments: Bool { view.be16(2)! & 1 != 0 }
    public var identification: UInt32 { view.be32(4)! }
}
