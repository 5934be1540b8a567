/// An IPv4 or IPv6 address as a value (binary, not text): what connections are keyed by.
public enum IPAddress: Hashable, Sendable, Comparable {
    case v4(UInt32)
    case v6(high: UInt64, low: UInt64)

    /// From 4 or 16 captured address bytes (nil for any other size).
    public init?(_ view: ByteView) {
        switch view.count {
        case 4:
            self = .v4(view.be32(0)!)
        case 16:
            var high: UInt64 = 0, low: UInt64 = 0
            for index in 0..<8 { high = high << 8 | UInt64(view.u8(index)!) }
            for index in 8..<16 { low = low << 8 | UInt64(view.u8(index)!) }
            self = .v6(high: high, low: low)
        default:
            return nil
        }
    }

    /// The address in network byte order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let high, let low):
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        }
    }

    public var isIPv6: Bool {
        if case .v6 = self { return true }
        return false
    }

    /// `10.0.0.1` or `2001:db8::1` (RFC 5952, as tcpdump prints it).
    public var text: String {
        var out = TextBuffer(capacity: 48)
        bytes.withUnsafeBytes { raw in
            if isIPv6 { out.append(ipv6: ByteView(raw)) } else { out.append(ipv4: ByteView(raw)) }
        }
        return out.string
    }
}

/// One end of a transport conversation: binary address and port.
public struct Endpoint: Hashable, Sendable, Comparable {
    public var address: IPAddress
    public var port: UInt16
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public static func < (a: Endpoint, b: Endpoint) -> Bool {
        a.address != b.address ? a.address < b.address : a.port < b.port
    }

    /// `10.0.0.1:80` or `[::1]:80`.
    public var text: String {
        address.isIPv6 ? "[\(address.text)]:\(port)" : "\(address.text):\(port)"
    }
}
