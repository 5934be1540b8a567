/// Per-segment findings with the meaning Wireshark gives its `tcp.analysis.*` fields
/// (packet-tcp.c, tcp_analyze_sequence_number), so netlab and tshark flag the same frames.
public struct TCPAnalysisFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let retransmission = TCPAnalysisFlags(rawValue: 1 << 0)
    public static let fastRetransmission = TCPAnalysisFlags(rawValue: 1 << 1)
    public static let spuriousRetransmission = TCPAnalysisFlags(rawValue: 1 << 2)
    public static let outOfOrder = TCPAnalysisFlags(rawValue: 1 << 3)
    public static let duplicateAck = TCPAnalysisFlags(rawValue: 1 << 4)
    public static let zeroWindow = TCPAnalysisFlags(rawValue: 1 << 5)
    public static let windowFull = TCPAnalysisFlags(rawValue: 1 << 6)
    public static let keepAlive = TCPAnalysisFlags(rawValue: 1 << 7)
    public static let lostSegment = TCPAnalysisFlags(rawValue: 1 << 8)
    public static let windowUpdate = TCPAnalysisFlags(rawValue: 1 << 9)
    public static let keepAliveAck = TCPAnalysisFlags(rawValue: 1 << 10)
    public static let zeroWindowProbe = TCPAnalysisFlags(rawValue: 1 << 11)
    public static let zeroWindowProbeAck = TCPAnalysisFlags(rawValue: 1 << 12)
    public static let ackedUnseenSegment = TCPAnalysisFlags(rawValue: 1 << 13)

    /// Wireshark's field names (`tcp.analysis.NAME`), in a fixed order.
    public static let names: [(TCPAnalysisFlags, String)] = [
        (.retransmission, "retransmission"), (.fastRetransmission, "fast_retransmission"),
        (.spuriousRetransmission, "spurious_retransmission"), (.outOfOrder, "out_of_order"),
        (.duplicateAck, "duplicate_ack"), (.zeroWindow, "zero_window"), (.windowFull, "window_full"),
        (.keepAlive, "keep_alive"), (.lostSegment, "lost_segment"), (.windowUpdate, "window_update"),
        (.keepAliveAck, "keep_alive_ack"), (.zeroWindowProbe, "zero_window_probe"),
        (.zeroWindowProbeAck, "zero_window_probe_ack"), (.ackedUnseenSegment, "ack_lost_segment"),
    ]

    public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }
}

/// One direction's sequence-analysis state. Like Wireshark, numbers are relative to the
/// direction's base (its first sequence number, or the peer's first ACK − 1), and 0 means
/// "not seen yet" for `nextSequence`, `maxSequenceToBeAcked` and `lastAck`.
struct TCPDirectionAnalysis: Sendable {
    var base: UInt32?
    var nextSequence: UInt32 = 0
    var nextSequenceTime = 0.0
    var maxSequenceToBeAcked: UInt32 = 0
    var lastAck: UInt32 = 0
    var lastAckTime = 0.0
    var window: UInt32 = 0
    var duplicateAcks = 0
    var lastFlags: TCPAnalysisFlags = []
    /// Window scale shift: nil until both SYNs were seen (then 0 when scaling is off).
    var windowScale: Int?
    var offeredScale: Int?
    var sawSYN = false
    var isFirstAck = true
}

/// tshark's out-of-order threshold when no RTT is known yet: 3 ms.
let outOfOrderThreshold = 0.003

/// Analyses one segment travelling from `forward`'s side; updates both directions' state.
func analyzeSegment(
    _ segment: TCPSegment, time: Double, forward: inout TCPDirectionAnalysis, reverse: inout TCPDirectionAnalysis,
    firstRTT: Double?
) -> TCPAnalysisFlags {
    let syn = segment.isSYN, fin = segment.isFIN, rst = segment.isRST, hasAck = segment.isACK
    if forward.base == nil { forward.base = segment.sequence }
    if reverse.base == nil && hasAck { reverse.base = segment.acknowledgment &- 1 }
    let seq = segment.sequence &- forward.base!
    let ack = segment.acknowledgment &- (reverse.base ?? 0)
    let length = UInt32(truncatingIfNeeded: segment.payloadLength)
    let window = UInt32(segment.window)
    let synFinRst = syn || fin || rst
    var flags: TCPAnalysisFlags = []
    func greater(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
    func less(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }

    if syn {
        forward.sawSYN = true
        forward.offeredScale = segment.windowScale.map(Int.init)
        if reverse.sawSYN {
            // Scaling is on only when both SYNs offered it (RFC 7323 §2.2).
            if let mine = forward.offeredScale, let theirs = reverse.offeredScale {
                forward.windowScale = min(mine, 14)
                reverse.windowScale = min(theirs, 14)
            } else {
                forward.windowScale = 0
                reverse.windowScale = 0
            }
        }
    }

    checks: do {
        if length == 1 && seq == forward.nextSequence && reverse.window == 0 {
            flags.insert(.zeroWindowProbe)
            break checks
        }
        if window == 0 && !synFinRst { flags.insert(.zeroWindow) }
        if forward.nextSequence != 0 && greater(seq, forward.nextSequence) && !rst { flags.insert(.lostSegment) }
        if (length == 0 || length == 1) && seq == forward.nextSequence &- 1 && !synFinRst { flags.insert(.keepAlive) }
        if length == 0 && window != 0 && window != forward.window && seq == forward.nextSequence
            && ack == forward.lastAck && !synFinRst
        {
            flags.insert(.windowUpdate)
        }
        if length > 0, let scale = reverse.windowScale, !synFinRst {
            let shift = reverse.isFirstAck ? 0 : scale
            if seq &+ length == reverse.lastAck &+ (reverse.window << UInt32(shift)) { flags.insert(.windowFull) }
        }
        let repeatsAck = length == 0 && seq == forward.nextSequence && !synFinRst
        if repeatsAck && window != 0 && window == forward.window && ack == forward.lastAck
            && reverse.lastFlags.contains(.keepAlive)
        {
            flags.insert(.keepAliveAck)
            break checks
        }
        if repeatsAck && window == 0 && forward.window == 0 && (ack == forward.lastAck || ack == forward.lastAck &+ 1)
            && reverse.lastFlags.contains(.zeroWindowProbe)
        {
            flags.insert(.zeroWindowProbeAck)
            break checks
        }
        if repeatsAck && window != 0 && window == forward.window && ack == forward.lastAck {
            forward.duplicateAcks += 1
            flags.insert(.duplicateAck)
        }
    }
    if ack != forward.lastAck { forward.duplicateAcks = 0 }

    if reverse.maxSequenceToBeAcked != 0 && greater(ack, reverse.maxSequenceToBeAcked) && hasAck {
        flags.insert(.ackedUnseenSegment)
        reverse.maxSequenceToBeAcked = reverse.nextSequence
    }

    if (length > 0 || syn || fin) && !flags.contains(.keepAlive) {
        let notAdvanced = forward.nextSequence != 0 && less(seq, forward.nextSequence)
        let sinceLastAck = time - reverse.lastAckTime
        let sinceNext = time - forward.nextSequenceTime
        let threshold = firstRTT ?? outOfOrderThreshold
        let occupies = length &+ (syn || fin ? 1 : 0)
        // Wireshark also sets tcp.analysis.retransmission on fast and spurious retransmissions.
        if notAdvanced && reverse.duplicateAcks >= 2 && reverse.lastAck == seq && sinceLastAck < 0.02 {
            flags.formUnion([.fastRetransmission, .retransmission])
        } else if notAdvanced && sinceNext < threshold && forward.nextSequence != seq &+ occupies {
            flags.insert(.outOfOrder)
        } else if length > 0 && reverse.lastAck != 0 && !less(reverse.lastAck, seq &+ length) {
            flags.formUnion([.spuriousRetransmission, .retransmission])
        } else if notAdvanced {
            flags.insert(.retransmission)
        }
    }

    if length > 0 || syn || fin {
        let end = seq &+ length &+ (syn || fin ? 1 : 0)
        if (greater(end, forward.nextSequence) || forward.nextSequence == 0) && !flags.contains(.zeroWindowProbe) {
            forward.nextSequence = end
            forward.nextSequenceTime = time
        }
    }
    if (seq == forward.maxSequenceToBeAcked || forward.maxSequenceToBeAcked == 0) && !flags.contains(.zeroWindowProbe) {
        forward.maxSequenceToBeAcked = forward.nextSequence
    }
    if hasAck {
        if !syn { forward.isFirstAck = false }
        forward.window = window
        forward.lastAck = ack
        forward.lastAckTime = time
    }
    forward.lastFlags = flags
    return flags
}
