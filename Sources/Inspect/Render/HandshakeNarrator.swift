/// One plain-language sentence per TCP segment for a beginner: who opens, the initial
/// sequence numbers, why SYN and FIN use up a sequence number, what an acknowledgment says,
/// who closes first, and what a reset means. Keeps just enough state to call the two sides
/// "client" and "server" and to print numbers relative to each side's ISN.
public struct HandshakeNarrator {
    private var client: String?
    private var initialSequence: [String: UInt32] = [:]
    private var closed: Set<String> = []
    private var established = false
    private var explainedRelative = false
    /// Duplicate ACKs each endpoint has sent in a row, and endpoints whose window is closed
    /// (for the dynamics sentences, DynamicsNarration.swift).
    var duplicateAcks: [String: Int] = [:]
    var closedWindow: Set<String> = []
    var explainedDynamics: Set<String> = []

    public init() {}

    func role(_ endpoint: String) -> String {
        guard let client else { return endpoint }
        return endpoint == client ? "client \(endpoint)" : "server \(endpoint)"
    }

    func relative(_ value: UInt32, of endpoint: String) -> UInt32 {
        value &- (initialSequence[endpoint] ?? 0)
    }

    public mutating func narrate(_ segment: TCPSegment) -> String {
        let from = segment.sourceEndpoint, to = segment.destinationEndpoint
        if segment.isSYN && !segment.isACK {
            client = from
            initialSequence[from] = segment.sequence
            established = false
            closed = []
            return "\(role(from)) opens a connection: SYN with initial sequence number (ISN) "
                + "\(segment.sequence). The SYN itself uses up one sequence number." + Self.offers(segment)
        }
        if segment.isSYN && segment.isACK {
            initialSequence[from] = segment.sequence
            return "\(role(from)) accepts: SYN-ACK with its own ISN \(segment.sequence), and ack "
                + "\(segment.acknowledgment) = \"I expect your byte ISN+1 next\"." + Self.offers(segment)
        }
        if segment.isRST {
            if !established && client != nil && from != client {
                return "\(role(from)) answers the SYN with RST: nothing listens on that port, so the "
                    + "client's connect() fails with ECONNREFUSED (\"connection refused\")."
            }
            return "\(role(from)) resets the connection (RST): an abort, not a polite close; "
                + "data not yet delivered is thrown away and no TIME-WAIT follows."
        }
        var sentence = ""
        if !segment.payload.isEmpty {
            let start = relative(segment.sequence, of: from)
            sentence =
                "\(role(from)) sends \(segment.payload.count) bytes (relative seq \(start):"
                + "\(start &+ UInt32(segment.payload.count)))"
            if let line = Self.firstLine(segment.payload) { sentence += ": \"\(line)\"" }
            sentence += "."
            if !explainedRelative {
                explainedRelative = true
                sentence +=
                    " (Relative means absolute − ISN: on the wire this is seq \(segment.sequence); tcpdump "
                    + "prints relative numbers once it has seen the handshake, so they start at 1.)"
            }
        } else if segment.isACK && !segment.isFIN {
            if !established {
                established = true
                return "\(role(from)) acknowledges the SYN-ACK: the three-way handshake is complete, "
                    + "both sides are ESTABLISHED."
            }
            let upTo = relative(segment.acknowledgment, of: to)
            return closed.contains(to) && closed.contains(from)
                ? "\(role(from)) acknowledges the last FIN; the side that closed first now waits in TIME-WAIT."
                : "\(role(from)) acknowledges every byte before relative \(upTo) of \(role(to))."
        }
        if segment.isFIN {
            let first = closed.isEmpty
            closed.insert(from)
            sentence +=
                (sentence.isEmpty ? "" : " ")
                + "\(role(from)) closes its sending side (FIN)"
                + (first ? ", first: it will end up in TIME-WAIT" : ", second")
                + ". The FIN uses up one sequence number."
        }
        return sentence
    }

    /// The options a SYN offers, in words (RFC 9293 §3.7.1, RFC 7323, RFC 2018).
    static func offers(_ segment: TCPSegment) -> String {
        var parts: [String] = []
        if let mss = segment.maximumSegmentSize {
            parts.append("MSS \(mss) (the largest payload it accepts in one segment)")
        }
        if let scale = segment.windowScale {
            parts.append(
                "window scale \(scale) (its later window values mean ×\(1 << Int(min(scale, 14))); tcpdump prints them unscaled)"
            )
        }
        if segment.sackPermitted { parts.append("SACK (it can acknowledge out-of-order blocks)") }
        if segment.timestampValue != nil {
            parts.append("timestamps (TS val/ecr: a clock echoed back, to measure round trips and reject old segments)")
        }
        return parts.isEmpty ? "" : " Offers: " + parts.joined(separator: ", ") + "."
    }

    /// The first line of a payload when it is printable text (an HTTP request or status line).
    static func firstLine(_ bytes: [UInt8]) -> String? {
        var line: [UInt8] = []
        for byte in bytes.prefix(200) {
            if byte == 13 || byte == 10 { break }
            guard byte >= 0x20 && byte < 0x7F else { return nil }
            line.append(byte)
        }
        return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
    }
}
