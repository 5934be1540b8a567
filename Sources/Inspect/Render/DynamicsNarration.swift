/// What TCP's dynamics mean when they happen, in the narrator's plain words: a full or closed
/// window, a window probe, duplicate ACKs before a fast retransmission, a retransmission after
/// the timer ran out. Driven by the same analysis flags tshark sets (TCPAnalysis.swift), so
/// the narration and `analysis:` line never disagree. The longer "why" is said the first
/// time only; later occurrences get one short sentence.
extension HandshakeNarrator {
    public mutating func narrateDynamics(_ segment: TCPSegment, flags: TCPAnalysisFlags) -> [String] {
        let from = segment.sourceEndpoint, to = segment.destinationEndpoint
        var sentences: [String] = []
        func say(_ key: String, _ short: String, _ why: String) {
            sentences.append(explainedDynamics.insert(key).inserted ? short + " " + why : short)
        }
        let start = relative(segment.sequence, of: from)
        let ack = relative(segment.acknowledgment, of: to)

        if flags.contains(.zeroWindowProbe) {
            say(
                "probe",
                "\(role(from)) sends a zero-window probe: 1 byte (relative seq \(start)) into a closed window.",
                "Its persist timer does this so it learns when the window opens again (the update could be lost); "
                    + "the receiver normally drops the byte and answers with its window.")
        } else if flags.contains(.fastRetransmission) {
            let count = duplicateAcks[to] ?? 0
            say(
                "fast",
                "\(role(from)) retransmits relative seq \(start) after \(count) duplicate ACKs, at once: a fast "
                    + "retransmission.",
                "Three duplicate ACKs say one segment is missing while later ones arrive, so the sender does not wait "
                    + "for its timer; it halves its congestion window instead of starting again from one segment "
                    + "(RFC 5681).")
        } else if flags.contains(.spuriousRetransmission) {
            say(
                "spurious",
                "\(role(from)) sends relative seq \(start) again, though the receiver had already "
                    + "acknowledged it: a spurious retransmission.",
                "An ACK came late or was lost, so the sender's timer ran out for nothing.")
        } else if flags.contains(.retransmission) {
            say(
                "rto",
                "\(role(from)) sends relative seq \(start) again with no duplicate ACKs before: its "
                    + "retransmission timer (RTO) ran out.",
                "Nothing acknowledged the segment within the RTO (RFC 6298), so the sender assumes it was lost, "
                    + "starts again from a congestion window of one segment, and doubles the RTO.")
        }
        if flags.contains(.zeroWindowProbeAck) {
            say(
                "probe-ack", "\(role(from)) answers the probe: its window is still zero.",
                "The application has not read yet; the sender keeps probing, less and less often.")
        }
        if flags.contains(.zeroWindow) {
            closedWindow.insert(from)
            say(
                "zero", "\(role(from)) advertises a zero window: its receive buffer is full.",
                "The application is not reading fast enough; \(role(to)) must stop sending data until the window "
                    + "opens (flow control).")
        } else if segment.window > 0 && closedWindow.remove(from) != nil {
            say(
                "open", "\(role(from)) opens its window again (win \(segment.window)).",
                "The application read data and made room; the sender may go on.")
        }
        if flags.contains(.windowFull) {
            say(
                "full", "\(role(from))'s segment fills \(role(to))'s advertised window.",
                "Everything the receiver said it can take is now in flight; the sender must wait for an ACK "
                    + "before it sends more (flow control, not congestion).")
        }
        if flags.contains(.duplicateAck) {
            duplicateAcks[from, default: 0] += 1
            let count = duplicateAcks[from]!
            say(
                "dup", "\(role(from)) repeats its ACK for relative \(ack): duplicate ACK #\(count).",
                "A segment after a hole arrived, and the receiver still waits for byte \(ack); after three "
                    + "duplicates the sender retransmits it without waiting for its timer (fast retransmit).")
        } else if segment.isACK && !flags.contains(.windowUpdate) && segment.payloadLength == 0 {
            duplicateAcks[from] = 0
        } else if segment.isACK && segment.payloadLength > 0 && !flags.contains(.keepAlive) {
            duplicateAcks[from] = 0
        }
        return sentences
    }
}
