/// IPv4 and IPv6 fragments put back together (RFC 791 §3.2, RFC 8200 §4.5), so a TCP segment
/// split across fragments reaches the tracker once, with the frame that completed it, as
/// tshark's default reassembly counts it. Memory is bounded: at most `limit` datagrams and
/// `byteLimit` bytes wait; beyond either the oldest datagrams are dropped (never joined).
struct IPReassembler {
    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var proto: UInt8
    }

    struct Pending {
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        /// The payload's length, once the last fragment (more = false) was seen.
        var total: Int?
        var lastFrame: Int
    }

    static let maximumPayload = 65_535 + 40
    /// Datagrams waiting for more fragments.
    var waiting: Int { pending.count }
    var limit = 1024
    var byteLimit = 4 << 20
    private var pending: [Key: Pending] = [:]
    /// Bytes held by the waiting pieces.
    private(set) var waitingBytes = 0

    /// Adds one fragment; returns the whole payload when this fragment completed it. A fragment
    /// whose bytes were not all captured spoils its datagram (the payload would have a hole).
    mutating func add(_ ip: IPPacket, frame: Int) -> [UInt8]? {
        guard let fragment = ip.fragment else { return nil }
        let key = Key(
            source: ip.source, destination: ip.destination, identification: fragment.identification, proto: ip.proto)
        var datagram = pending.removeValue(forKey: key) ?? Pending(lastFrame: frame)
        waitingBytes -= datagram.pieces.reduce(0) { $0 + $1.bytes.count }
        datagram.lastFrame = frame
        let end = fragment.offset + ip.transportLength
        guard ip.transport.count == ip.transportLength, end <= Self.maximumPayload else { return nil }
        datagram.pieces.append((fragment.offset, ip.transport.bytes))
        if !fragment.more { datagram.total = end }
        if let total = datagram.total, let whole = Self.assemble(datagram.pieces, total: total) { return whole }
        pending[key] = datagram
        waitingBytes += datagram.pieces.reduce(0) { $0 + $1.bytes.count }
        while pending.count > limit || waitingBytes > byteLimit {
            let oldest = pending.min { $0.value.lastFrame < $1.value.lastFrame }!
            waitingBytes -= oldest.value.pieces.reduce(0) { $0 + $1.bytes.count }
            pending[oldest.key] = nil
        }
        return nil
    }

    /// The payload when the pieces cover 0..<total without a hole (later pieces win overlaps).
    static func assemble(_ pieces: [(offset: Int, bytes: [UInt8])], total: Int) -> [UInt8]? {
        var covered = 0
        for piece in pieces.sorted(by: { $0.offset < $1.offset }) {
            if piece.offset > covered { return nil }
            covered = max(covered, piece.offset + piece.bytes.count)
        }
        guard covered >= total else { return nil }
        var whole = [UInt8](repeating: 0, count: total)
        for piece in pieces {
            for (index, byte) in piece.bytes.enumerated() where piece.offset + index < total {
                whole[piece.offset + index] = byte
            }
        }
        return whole
    }
}
