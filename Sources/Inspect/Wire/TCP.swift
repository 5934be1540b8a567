/// TCP header (RFC 9293 §3.1) and its options.
public struct TCPHeader {
    public static let minimumLength = 20

    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let fin = Flags(rawValue: 0x01)
        public static let syn = Flags(rawValue: 0x02)
        public static let rst = Flags(rawValue: 0x04)
        public static let psh = Flags(rawValue: 0x08)
        public static let ack = Flags(rawValue: 0x10)
        public static let urg = Flags(rawValue: 0x20)
        public static let ece = Flags(rawValue: 0x40)
        public static let cwr = Flags(rawValue: 0x80)
    }

    /// The view; only the ports are guaranteed captured. Use the optional accessors below.
    public let view: ByteView
    public init?(_ view: ByteView) {
        guard view.count >= 4 else { return nil }
        self.view = view
    }

    public var sourcePort: UInt16 { view.be16(0)! }
    public var destinationPort: UInt16 { view.be16(2)! }
    public var sequenceNumber: UInt32? { view.be32(4) }
    public var acknowledgmentNumber: UInt32? { view.be32(8) }
    /// Data offset in bytes.
    public var headerLength: Int? { view.u8(12).map { Int($0 >> 4) * 4 } }
    public var flags: Flags? { view.u8(13).map(Flags.init(rawValue:)) }
    public var window: UInt16? { view.be16(14) }
    public var checksum: UInt16? { view.be16(16) }
    public var urgentPointer: UInt16? { view.be16(18) }
}

/// TCP option kinds (IANA "TCP Option Kind Numbers").
public enum TCPOptionKind {
    public static let endOfList: UInt8 = 0
    public static let noOperation: UInt8 = 1
    public static let maxSegmentSize: UInt8 = 2
    public static let windowScale: UInt8 = 3
    public static let sackPermitted: UInt8 = 4
    public static let sack: UInt8 = 5
    public static let echo: UInt8 = 6
    public static let echoReply: UInt8 = 7
    public static let timestamp: UInt8 = 8
    public static let cc: UInt8 = 11
    public static let ccNew: UInt8 = 12
    public static let ccEcho: UInt8 = 13
    public static let md5Signature: UInt8 = 19
    public static let scps: UInt8 = 20
    public static let userTimeout: UInt8 = 28
    public static let authentication: UInt8 = 29
    public static let multipath: UInt8 = 30
    public static let fastOpen: UInt8 = 34
    public static let experimental1: UInt8 = 253
    public static let experimental2: UInt8 = 254

    /// tcpdump's `tcp_option_values`.
    public static func name(_ kind: UInt8) -> StaticString? {
        switch kind {
        case 0: "eol"
        case 1: "nop"
        case 2: "mss"
        case 3: "wscale"
        case 4: "sackOK"
        case 5: "sack"
        case 6: "echo"
        case 7: "echoreply"
        case 8: "TS"
        case 11: "cc"
        case 12: "ccnew"
        case 13: ""
        case 19: "md5"
        case 20: "scps"
        case 28: "uto"
        case 29: "tcp-ao"
        case 30: "mptcp"
        case 34: "tfo"
        case 254: "exp"
        default: nil
        }
    }
}
