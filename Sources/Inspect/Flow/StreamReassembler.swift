/// Puts one direction of a TCP connection back into byte order (RFC 9293 §3.4): in-order
/// segments pass straight through, early ones wait, retransmitted and overlapping bytes are
/// delivered once (the first copy wins), and sequence numbers wrap. Memory is bounded: when
/// more than `limit` bytes wait behind a hole, the hole is given up and reported as a gap,
/// never silently joined.
public struct StreamReassembler: Sendable {
    public enum Chunk: Sendable, Equatable {
        case data([UInt8])
        /// Bytes that never arrived (or were given up on), skipped in the stream.
        case gap(Int)
    }

    /// Bytes allowed to wait for a missing segment.
    public var limit: Int
    /// The sequence number of the next byte to deliver (nil until the first segment).
    public private(set) var nextSequence: UInt32?
    private var waiting: [(sequence: UInt32, bytes: [UInt8])] = []
    public private(set) var waitingBytes = 0
    public private(set) var deliveredBytes = 0
    public private(set) var gapBytes = 0

    public init(limit: Int = 1 << 20) { self.limit = limit }

    /// Distance from `a` to `b` in sequence space (negative when `b` is before `a`).
    static func distance(_ a: UInt32, _ b: UInt32) -> Int { Int(Int32(bitPattern: b &- a)) }

    /// Adds a segment. `synOrFinBefore`: a SYN occupies the sequence number before the data.
    public mutating func add(sequence: UInt32, payload: [UInt8], syn: Bool) -> [Chunk] {
        let start = syn ? sequence &+ 1 : sequence
        if nextSequence == nil { nextSequence = start }
        guard !payload.isEmpty, let next = nextSequence else { return [] }
        var bytes = payload[...]
        var first = start
        let behind = Self.distance(first, next)
        if behind > 0 {
            // Already delivered (a retransmission or an overlap): keep only what is new.
            guard behind < bytes.count else { return [] }
            bytes = bytes.dropFirst(behind)
            first = next
        }
        if first == next {
            var chunks: [Chunk] = [.data(Array(bytes))]
            deliveredBytes += bytes.count
            nextSequence = next &+ UInt32(bytes.count)
            drainWaiting(into: &chunks)
            return chunks
        }
        insertWaiting(sequence: first, bytes: Array(bytes))
        var chunks: [Chunk] = []
        while waitingBytes > limit, let earliest = waiting.first, let current = nextSequence {
            let hole = Self.distance(current, earliest.sequence)
            chunks.append(.gap(hole))
            gapBytes += hole
            nextSequence = earliest.sequence
            drainWaiting(into: &chunks)
        }
        return chunks
    }

    /// The connection ended: whatever still waits is delivered after a reported gap.
    public mutating func flush() -> [Chunk] {
        var chunks: [Chunk] = []
        while let earliest = waiting.first, let current = nextSequence {
            let hole = Self.distance(current, earliest.sequence)
            if hole > 0 {
                chunks.append(.gap(hole))
                gapBytes += hole
            }
            nextSequence = earliest.sequence
            drainWaiting(into: &chunks)
        }
        return chunks
    }

    private mutating func insertWaiting(sequence: UInt32, bytes: [UInt8]) {
        guard let next = nextSequence else { return }
        let offset = Self.distance(next, sequence)
        let index = waiting.firstIndex { Self.distance(next, $0.sequence) > offset } ?? waiting.endIndex
        waiting.insert((sequence, bytes), at: index)
        waitingBytes += bytes.count
    }

    private mutating func drainWaiting(into chunks: inout [Chunk]) {
        while let first = waiting.first, let next = nextSequence, Self.distance(first.sequence, next) >= 0 {
            waiting.removeFirst()
            waitingBytes -= first.bytes.count
            let overlap = Self.distance(first.sequence, next)
            if overlap < first.bytes.count {
                let fresh = Array(first.bytes.dropFirst(overlap))
                chunks.append(.data(fresh))
                deliveredBytes += fresh.count
                nextSequence = next &+ UInt32(fresh.count)
            }
        }
    }
}
