import Inspect

/// What one TCP connection's dynamics left in a capture, per side: the MSS its SYN offered,
/// its segment sizes, the windows it advertised, its retransmissions. The lessons on flow
/// control, congestion control and segmentation (18–20) grade these. The per-segment findings
/// are the analyzer's, which flags the frames Wireshark's `tcp.analysis.*` fields flag.
public struct ConnectionDynamics: Sendable {
    /// The MSS option of each side's SYN (nil: that SYN was not seen or offered none).
    public var mss: [TCPRole: UInt16] = [:]
    /// Data-carrying segments each side sent, and the largest payload among them.
    public var dataSegments: [TCPRole: Int] = [:]
    public var largestSegment: [TCPRole: Int] = [:]
    /// Segments in which a side advertised a window of 0 (not SYN, FIN or RST): its receive
    /// buffer was full.
    public var zeroWindows: [TCPRole: Int] = [:]
    /// Segments a side sent while the peer's last advertised window was 0 that ask the peer
    /// for its window: Linux's probe is an empty segment one byte below the next sequence
    /// number (Wireshark calls it a keep-alive), others send one byte beyond the window
    /// (Wireshark's zero-window probe).
    public var windowProbes: [TCPRole: Int] = [:]
    /// Answers to those probes: the peer's next segment after a probe, which tells its window
    /// (still 0, or open again). Linux answers at once with a plain ACK that Wireshark marks
    /// only as a zero window, so the answer is known by its place, not by a flag.
    public var probeAnswers: [TCPRole: Int] = [:]
    /// Data segments a side sent again (retransmission, fast or spurious).
    public var retransmissions: [TCPRole: Int] = [:]
    public var fastRetransmissions: [TCPRole: Int] = [:]
    /// ACKs a side repeated (the same ACK number, no data, no window change).
    public var duplicateAcks: [TCPRole: Int] = [:]
    /// Payload bytes each side sent (retransmissions included) and the span of its data, in
    /// seconds from the start of the capture: throughput = bytes / span.
    public var payloadBytes: [TCPRole: Int] = [:]
    public var firstData: [TCPRole: Double] = [:]
    public var lastData: [TCPRole: Double] = [:]
    /// Whether a side's last advertised window was 0 (what makes the peer's segment a probe).
    private var windowClosed: [TCPRole: Bool] = [:]
    /// Sides whose last probe the peer has not answered yet.
    private var probing: Set<TCPRole> = []

    public init() {}

    /// One segment `role` sent at `time`, with the analyzer's flags for it.
    public mutating func add(_ segment: TCPSegment, role: TCPRole, flags: TCPAnalysisFlags, time: Double) {
        if segment.isSYN, let offered = segment.maximumSegmentSize { mss[role] = offered }
        let length = segment.payloadLength
        if length > 0 {
            dataSegments[role, default: 0] += 1
            largestSegment[role] = max(largestSegment[role] ?? 0, length)
            payloadBytes[role, default: 0] += length
            if firstData[role] == nil { firstData[role] = time }
            lastData[role] = time
        }
        let retransmitted: TCPAnalysisFlags = [.retransmission, .fastRetransmission, .spuriousRetransmission]
        if length > 0 && !flags.isDisjoint(with: retransmitted) { retransmissions[role, default: 0] += 1 }
        if flags.contains(.fastRetransmission) { fastRetransmissions[role, default: 0] += 1 }
        if flags.contains(.duplicateAck) { duplicateAcks[role, default: 0] += 1 }
        if flags.contains(.zeroWindow) { zeroWindows[role, default: 0] += 1 }
        if probing.remove(role.other) != nil { probeAnswers[role, default: 0] += 1 }
        if windowClosed[role.other] == true && !flags.isDisjoint(with: [.zeroWindowProbe, .keepAlive]) {
            windowProbes[role, default: 0] += 1
            probing.insert(role)
        }
        // The window field of a SYN is never scaled and says nothing of a full buffer; a RST's
        // is meaningless.
        if segment.isACK && !segment.isSYN && !segment.isRST { windowClosed[role] = segment.window == 0 }
    }

    /// Payload bits per second a side sent over its data's span (nil: under two data segments).
    public func throughput(_ role: TCPRole) -> Double? {
        guard let first = firstData[role], let last = lastData[role], last > first else { return nil }
        return Double(payloadBytes[role] ?? 0) * 8 / (last - first)
    }
}
