/// Text forms of link and network addresses, as tcpdump -n prints them.
extension TextBuffer {
    /// Dotted quad from 4 bytes.
    public mutating func append(ipv4 view: ByteView) {
        // At most 15 bytes, written in one reservation (two addresses in every IPv4 line).
        let address = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(view.u8($1) ?? 0) }
        commit(Self.write(ipv4: address, to: reserve(15)))
    }

    /// Writes `address` as dotted decimal at `target` (room for 15 bytes); returns the count.
    @inlinable static func write(ipv4 address: UInt32, to target: UnsafeMutablePointer<UInt8>) -> Int {
        var at = 0
        for index in 0..<4 {
            if index > 0 {
                target[at] = UInt8(ascii: ".")
                at += 1
            }
            let octet = UInt8(truncatingIfNeeded: address >> (24 - 8 * UInt32(index)))
            if octet >= 100 {
                target[at] = 0x30 &+ octet / 100
                at += 1
            }
            if octet >= 10 {
                target[at] = 0x30 &+ octet / 10 % 10
                at += 1
            }
            target[at] = 0x30 &+ octet % 10
            at += 1
        }
        return at
    }

    /// RFC 5952 text from 16 bytes: lower-case hex, the longest run of two or more zero
    /// groups shortened to `::` (the first such run on a tie), and an embedded IPv4 address
    /// for IPv4-compatible and IPv4-mapped forms, as `inet_ntop` and tcpdump's `addrtostr6` do.
    public mutating func append(ipv6 view: ByteView) {
        func word(_ index: Int) -> UInt16 { view.be16(index * 2) ?? 0 }
        var bestStart = -1, bestLength = 0, runStart = -1, runLength = 0
        for index in 0..<8 {
            if word(index) == 0 {
                if runStart < 0 {
                    runStart = index
                    runLength = 1
                } else {
                    runLength += 1
                }
                if runLength > bestLength {
                    bestStart = runStart
                    bestLength = runLength
                }
            } else {
                runStart = -1
                runLength = 0
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var index = 0
        while index < 8 {
            if index == bestStart {
                append(byte: UInt8(ascii: ":"))
                index += bestLength
                if index == 8 { append(byte: UInt8(ascii: ":")) }
                continue
            }
            if index > 0 { append(byte: UInt8(ascii: ":")) }
            if index == 6, bestStart == 0, bestLength == 6 || (bestLength == 5 && word(5) == 0xFFFF) {
                append(ipv4: view.dropFirst(12))
                return
            }
            append(hex: UInt64(word(index)))
            index += 1
        }
    }

    /// `aa:bb:cc:dd:ee:ff` (any length; tcpdump's `etheraddr_string` / `le64addr_string`).
    public mutating func append(linkAddress view: ByteView) {
        for index in 0..<view.count {
            if index > 0 { append(byte: UInt8(ascii: ":")) }
            append(hex: UInt64(view.u8(index)!), minDigits: 2)
        }
    }
}
