/// The text of recently printed IPv4 endpoints (`a.b.c.d.port`), so a packet of a connection
/// already seen copies its two endpoints instead of formatting six numbers: most lines of a
/// capture belong to a few connections. Direct-mapped (a new endpoint replaces the one in its
/// slot); a miss formats the text exactly as `append(ipv4:)` and `append(_:)` do.
struct EndpointTextCache {
    /// Bytes per slot: the text's length, then the text (the longest endpoint,
    /// `255.255.255.255.65535`, is 21 bytes).
    static let slotSize = 24
    static let slots = 256

    /// Per slot: the address and port it holds, with bit 48 set (0: empty).
    private var keys = [UInt64](repeating: 0, count: slots)
    private var texts = [UInt8](repeating: 0, count: slots * slotSize)

    mutating func append(address: UInt32, port: UInt16, into out: inout TextBuffer) {
        let key = 1 << 48 | UInt64(address) << 16 | UInt64(port)
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 56)
        let isKnown = keys[slot] == key
        if !isKnown { keys[slot] = key }
        texts.withUnsafeMutableBufferPointer { texts in
            let start = texts.baseAddress! + slot * Self.slotSize
            if !isKnown {
                var length = TextBuffer.write(ipv4: address, to: start + 1)
                start[1 + length] = UInt8(ascii: ".")
                length += 1
                length += TextBuffer.write(decimal: UInt32(port), to: start + 1 + length)
                start.pointee = UInt8(length)
            }
            let target = out.reserve(Self.slotSize)
            UnsafeMutableRawPointer(target).copyMemory(from: start + 1, byteCount: Self.slotSize - 1)
            out.commit(Int(start.pointee))
        }
    }
}
