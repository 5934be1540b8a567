/// BSD loopback (DLT_NULL, DLT_LOOP): a 4-byte address family before the IP packet.
public enum LoopbackHeader {
    public static let length = 4

    /// Address-family values that mean IPv4 or IPv6 (`BSD_AFNUM_*`: BSDs disagree on IPv6).
    public static let inet: UInt32 = 2
    public static let inet6Values: Set<UInt32> = [24, 28, 30]

    /// The family of a DLT_NULL header: host byte order of the capturing machine, so a value
    /// with high bits set was written by a host of the other endianness.
    public static func nullFamily(_ view: ByteView) -> UInt32? {
        guard let value = view.le32(0) else { return nil }
        return value & 0xFFFF_0000 != 0 ? value.byteSwapped : value
    }

    /// The family of a DLT_LOOP header: network byte order.
    public static func loopFamily(_ view: ByteView) -> UInt32? { view.be32(0) }
}
