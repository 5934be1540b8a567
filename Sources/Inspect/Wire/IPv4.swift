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

/// Walks IPv4 options (RFC 791 §3.1) and prints nothing: one element per option until
/// end-of-list, `.malformed` (then nothing) for a length below 2, past the header, or not captured.
public struct IPv4Options: Sequence, IteratorProtocol {
    public static let endOfList: UInt8 = 0
    public static let noOperation: UInt8 = 1
    public static let recordRoute: UInt8 = 7
    public static let timestamp: UInt8 = 68
    public static let looseSourceRoute: UInt8 = 131
    public static let strictSourceRoute: UInt8 = 137

    public enum Element {
        /// `option` holds the whole option, type and length bytes included.
        case option(type: UInt8, option: ByteView)
        case malformed(offset: Int)
    }

    let view: ByteView
    let length: Int
    var offset = 0
    var finished = false

    /// The options of `ip` (header length − 20 bytes, as far as captured).
    public init(_ ip: IPv4Header) {
        view = ip.view.prefix(ip.headerLength).dropFirst(IPv4Header.minimumLength)
        length = Swift.max(0, ip.headerLength - IPv4Header.minimumLength)
    }

    public mutating func next() -> Element? {
        guard !finished, offset < length else { return nil }
        guard let type = view.u8(offset) else {
            finished = true
            return .malformed(offset: offset)
        }
        if type == Self.endOfList || type == Self.noOperation {
            if type == Self.endOfList { finished = true }
            offset += 1
            return .option(type: type, option: view.dropFirst(offset - 1).prefix(1))
        }
        guard let declared = view.u8(offset + 1), declared >= 2, Int(declared) <= length - offset,
            view.has(offset, Int(declared))
        else {
            finished = true
            return .malformed(offset: offset)
        }
        let option = view.dropFirst(offset).prefix(Int(declared))
        offset += Int(declared)
        return .option(type: type, option: option)
    }
}

extension IPv4Header {
    /// The destination the transport pseudo-header uses: the last hop of the first loose or
    /// strict source route option (RFC 791 §3.1), else the destination field (tcpdump's ip_finddst).
    public var finalDestination: ByteView {
        if headerLength == IPv4Header.minimumLength { return destination }  // no options: the usual case
        for element in IPv4Options(self) {
            guard case .option(let type, let option) = element else { break }
            if (type == IPv4Options.looseSourceRoute || type == IPv4Options.strictSourceRoute) && option.count >= 7 {
                return option.dropFirst(option.count - 4)
            }
        }
        return destination
    }
}
