/// ICMP for IPv4 (RFC 792): type, code, checksum, then 4 bytes whose meaning depends on the type.
public struct ICMPHeader {
    public static let length = 8
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= 1 else { return nil }
        self.view = view
    }
    public var type: UInt8 { view.u8(0)! }
    public var code: UInt8? { view.u8(1) }
    public var checksum: UInt16? { view.be16(2) }
    public var identifier: UInt16? { view.be16(4) }
    public var sequence: UInt16? { view.be16(6) }
    /// The invoking packet's IP header, quoted after the 8-byte header by error messages.
    public var quoted: ByteView { view.dropFirst(Self.length) }

    public static let echoReply: UInt8 = 0
    public static let unreachable: UInt8 = 3
    public static let sourceQuench: UInt8 = 4
    public static let redirect: UInt8 = 5
    public static let echoRequest: UInt8 = 8
    public static let routerAdvertisement: UInt8 = 9
    public static let routerSolicitation: UInt8 = 10
    public static let timeExceeded: UInt8 = 11
    public static let parameterProblem: UInt8 = 12
    public static let timestampRequest: UInt8 = 13
    public static let timestampReply: UInt8 = 14
    public static let informationRequest: UInt8 = 15
    public static let informationReply: UInt8 = 16
    public static let maskRequest: UInt8 = 17
    public static let maskReply: UInt8 = 18

    /// Error messages quote the invoking packet (tcpdump's `ICMP_ERRTYPE`).
    public static func isError(_ type: UInt8) -> Bool {
        type == unreachable || type == sourceQuench || type == redirect || type == timeExceeded
            || type == parameterProblem
    }
}

/// ICMPv6 (RFC 4443) header.
public struct ICMPv6Header {
    public static let length = 8
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= 1 else { return nil }
        self.view = view
    }
    public var type: UInt8 { view.u8(0)! }
    public var code: UInt8? { view.u8(1) }
    public var checksum: UInt16? { view.be16(2) }

    public static let destinationUnreachable: UInt8 = 1
    public static let packetTooBig: UInt8 = 2
    public static let timeExceeded: UInt8 = 3
    public static let parameterProblem: UInt8 = 4
    public static let echoRequest: UInt8 = 128
    public static let echoReply: UInt8 = 129
    public static let listenerQuery: UInt8 = 130
    public static let listenerReport: UInt8 = 131
    public static let listenerDone: UInt8 = 132
    public static let routerSolicitation: UInt8 = 133
    public static let routerAdvertisement: UInt8 = 134
    public static let neighborSolicitation: UInt8 = 135
    public static let neighborAdvertisement: UInt8 = 136
    public static let redirect: UInt8 = 137
    public static let listenerReportV2: UInt8 = 143

    /// tcpdump's `icmp6_type_values`.
    public static func typeName(_ type: UInt8) -> StaticString? {
        switch type {
        case 1: "destination unreachable"
        case 2: "packet too big"
        case 3: "time exceeded in-transit"
        case 4: "parameter problem"
        case 128: "echo request"
        case 129: "echo reply"
        case 130: "multicast listener query"
        case 131: "multicast listener report"
        case 132: "multicast listener done"
        case 133: "router solicitation"
        case 134: "router advertisement"
        case 135: "neighbor solicitation"
        case 136: "neighbor advertisement"
        case 137: "redirect"
        case 138: "router renumbering"
        case 139: "who-are-you request"
        case 140: "who-are-you reply"
        case 141: "inverse neighbor solicitation"
        case 142: "inverse neighbor advertisement"
        case 143: "multicast listener report v2"
        case 144: "ha discovery request"
        case 145: "ha discovery reply"
        case 146: "mobile router solicitation"
        case 147: "mobile router advertisement"
        case 155: "RPL"
        case 200: "mtrace response"
        case 201: "mtrace message"
        default: nil
        }
    }
}
