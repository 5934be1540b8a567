/// The Internet checksum (RFC 1071) and the pseudo-headers TCP, UDP and ICMPv6 add to it.
public enum InternetChecksum {
    /// One's-complement sum of `view` folded to 32 bits, added to `initial`.
    public static func partialSum(_ view: ByteView, initial: UInt32 = 0) -> UInt32 {
        var sum = UInt64(initial)
        let buffer = view.base
        let count = buffer.count
        var index = 0
        while index + 1 < count {
            sum &+= UInt64(buffer[index]) << 8 | UInt64(buffer[index + 1])
            index += 2
        }
        if index < count { sum &+= UInt64(buffer[index]) << 8 }
        while sum > 0xFFFF_FFFF { sum = (sum & 0xFFFF_FFFF) + (sum >> 32) }
        return UInt32(sum)
    }

    /// Folds a partial sum and complements it: 0 means the data (with its checksum) is correct.
    public static func finish(_ sum: UInt32) -> UInt16 {
        var folded = sum
        while folded > 0xFFFF { folded = (folded & 0xFFFF) + (folded >> 16) }
        return ~UInt16(folded)
    }

    /// The checksum of `view` alone (IPv4 header, ICMP).
    public static func compute(_ view: ByteView) -> UInt16 { finish(partialSum(view)) }

    /// The value the checksum field should have held, given the field's value and the sum
    /// computed over the data including it (tcpdump's `in_cksum_shouldbe`, RFC 1624).
    public static func shouldBe(field: UInt16, computed: UInt16) -> UInt16 {
        var value = UInt32(field) + UInt32(computed)
        value = (value & 0xFFFF) + (value >> 16)
        value = (value & 0xFFFF) + (value >> 16)
        return UInt16(value)
    }

    /// Sum of an IPv4 pseudo-header (RFC 793 §3.1).
    public static func pseudoHeaderSum(ipv4 ip: IPv4Header, protocol proto: UInt8, length: Int) -> UInt32 {
        let src = ip.sourceAddress, dst = ip.destinationAddress
        var sum = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF)
        sum += UInt32(proto) + UInt32(length & 0xFFFF)
        return sum
    }

    /// Sum of an IPv6 pseudo-header (RFC 8200 §8.1).
    public static func pseudoHeaderSum(ipv6 ip: IPv6Header, protocol proto: UInt8, length: Int) -> UInt32 {
        var sum = partialSum(ip.view.dropFirst(8).prefix(32))
        sum &+= UInt32(truncatingIfNeeded: length >> 16) &+ UInt32(length & 0xFFFF) &+ UInt32(proto)
        return sum
    }
}
