/// Relative TCP sequence numbers the way tcpdump computes them (print-tcp.c without -S):
/// the first segment of a conversation that carries ACK, or any later SYN, records both
/// directions' bases (its own seq, and ack − 1 for the other side); later ACK-bearing
/// segments print seq and ack relative to those bases. Segments without ACK print absolute
/// values. One table entry per conversation, whichever direction it is seen in.
public struct RelativeSequenceTable {
    struct Key: Hashable {
        var src: (UInt64, UInt64)
        var dst: (UInt64, UInt64)
        var ports: UInt32
        var isIPv6: Bool
        static func == (a: Key, b: Key) -> Bool {
            a.src == b.src && a.dst == b.dst && a.ports == b.ports && a.isIPv6 == b.isIPv6
        }
        /// One word for the key (equal keys, equal words).
        var word: UInt64 {
            let a = src.0 &* 0x9E37_79B9_7F4A_7C15 ^ src.1
            let b = dst.0 &* 0xC2B2_AE3D_27D4_EB4F ^ dst.1
            return a ^ (b << 29 | b >> 35) ^ UInt64(ports) &* 0x1656_67B1_9E37_79F9
        }
        func hash(into hasher: inout Hasher) {
            // One word into the (seeded) hasher instead of five: this runs for every segment
            // with ACK, and equal keys still hash equal.
            hasher.combine(word)
        }
    }
    struct Bases {
        var seq: UInt32
        var ack: UInt32
    }

    /// The result for one segment: the numbers to print and the bases for SACK blocks.
    public struct Adjusted {
        public var seq: UInt32
        public var ack: UInt32
        /// True when this conversation's key was formed with source and destination swapped.
        public var reversed: Bool
        public var baseSeq: UInt32
        public var baseAck: UInt32
    }

    private var table: [Key: Bases] = [:]
    /// The conversations seen last, in front of `table` (whose seeded hashing costs more than
    /// the rest of the lookup): a slot per key's word, holding what `table` holds for it.
    private var recent = [(key: Key, bases: Bases)?](repeating: nil, count: 256)
    /// An upper bound on remembered conversations, so a hostile capture cannot grow memory
    /// without limit; when reached, the table starts over (numbers may then print absolute).
    public var limit: Int

    public init(limit: Int = 1 << 20) { self.limit = limit }

    public var count: Int { table.count }

    /// Adjusts `seq`/`ack` of a segment with the ACK flag. `source`/`destination` are the
    /// 4- or 16-byte addresses.
    public mutating func adjust(
        source: ByteView, destination: ByteView, sourcePort: UInt16, destinationPort: UInt16,
        seq: UInt32, ack: UInt32, isSYN: Bool
    ) -> Adjusted {
        let isIPv6 = source.count == 16
        var reversed = false
        if sourcePort > destinationPort {
            reversed = true
        } else if sourcePort == destinationPort {
            reversed = Self.compare(source, destination) > 0
        }
        let a = Self.words(reversed ? destination : source)
        let b = Self.words(reversed ? source : destination)
        let ports =
            reversed
            ? UInt32(destinationPort) << 16 | UInt32(sourcePort)
            : UInt32(sourcePort) << 16 | UInt32(destinationPort)
        let key = Key(src: a, dst: b, ports: ports, isIPv6: isIPv6)
        let slot = Int(truncatingIfNeeded: key.word >> 56)
        if !isSYN {
            var known: Bases?
            if let entry = recent[slot], entry.key == key {
                known = entry.bases
            } else if let bases = table[key] {
                recent[slot] = (key, bases)
                known = bases
            }
            if let bases = known {
                let printedSeq = reversed ? seq &- bases.ack : seq &- bases.seq
                let printedAck = reversed ? ack &- bases.seq : ack &- bases.ack
                return Adjusted(
                    seq: printedSeq, ack: printedAck, reversed: reversed, baseSeq: bases.seq, baseAck: bases.ack)
            }
        }
        let bases = reversed ? Bases(seq: ack &- 1, ack: seq) : Bases(seq: seq, ack: ack &- 1)
        if table.count >= limit {
            table.removeAll(keepingCapacity: true)
            for index in recent.indices { recent[index] = nil }
        }
        table[key] = bases
        recent[slot] = (key, bases)
        return Adjusted(seq: seq, ack: ack, reversed: reversed, baseSeq: bases.seq, baseAck: bases.ack)
    }

    static func compare(_ a: ByteView, _ b: ByteView) -> Int {
        for index in 0..<min(a.count, b.count) {
            let x = a.u8(index)!, y = b.u8(index)!
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    static func words(_ address: ByteView) -> (UInt64, UInt64) {
        // The two sizes there are, read whole (this runs for every segment with ACK).
        if address.count == 4 { return (UInt64(address.be32(0)!), 0) }
        if address.count == 16 {
            return (
                UInt64(bigEndian: address.base.loadUnaligned(as: UInt64.self)),
                UInt64(bigEndian: address.base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for index in 0..<min(address.count, 16) {
            let byte = UInt64(address.u8(index)!)
            if index < 8 { hi = hi << 8 | byte } else { lo = lo << 8 | byte }
        }
        return (hi, lo)
    }
}
