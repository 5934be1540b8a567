import Capture
import Inspect

/// Reads packets from a handle, prints them as tcpdump lines and/or writes them to a file,
/// until the file ends, a count is reached or Ctrl-C.
final class CaptureSession {
    let handle: CaptureHandle
    let writer: CaptureWriter?
    let linkType: LinkType
    let verbosity: Int
    let printing: Bool
    let view: View
    let limits: TCPTracker.Limits

    /// What to print for the packets.
    enum View {
        /// tcpdump lines.
        case packets
        /// One line per HTTP message instead of packets.
        case http
        /// tcpdump lines with a plain-language explanation, state changes and analysis flags.
        case explain
        /// JSON Lines: packets, TCP state changes and HTTP messages.
        case json
    }

    struct Outcome {
        var packets: Int
        var statistics: CaptureStatistics?
        var stop: CaptureHandle.StopReason

        /// tcpdump's closing lines.
        var summary: String {
            var lines = ["\(packets) packet\(packets == 1 ? "" : "s") captured"]
            if let statistics {
                lines.append("\(statistics.received) packet\(statistics.received == 1 ? "" : "s") received by filter")
                lines.append("\(statistics.dropped) packet\(statistics.dropped == 1 ? "" : "s") dropped by kernel")
            }
            return lines.joined(separator: "\n")
        }
    }

    init(
        handle: CaptureHandle, linkType: LinkType, verbosity: Int, printing: Bool, writer: CaptureWriter?,
        view: View = .packets, limits: TCPTracker.Limits = .init()
    ) {
        self.view = view
        self.limits = limits
        self.handle = handle
        self.linkType = linkType
        self.verbosity = verbosity
        self.printing = printing
        self.writer = writer
    }

    func run(count: Int) throws(CaptureError) -> Outcome {
        if handle.isLive { StopSignals.route(to: handle) }
        defer { if handle.isLive { StopSignals.release() } }
        // Printer and buffer are locals: the per-packet path then needs no dynamic
        // exclusivity checks on class properties.
        let localTime = LocalTime()
        var printer = TcpdumpPrinter(
            verbosity: verbosity, utcOffset: { localTime.offset(at: $0) }, interfaceName: interfaceName)
        var out = TextBuffer(capacity: 1 << 17)
        var analyzer = CaptureAnalyzer(limits: limits)
        var narrator = HandshakeNarrator()
        // Live captures flush every packet, so lines appear as packets arrive.
        let flushLimit = handle.isLive ? 0 : 1 << 16
        let linkType = linkType, printing = printing, writer = writer, isLive = handle.isLive, view = view
        var packets = 0
        var readerGone = false
        let stop = try handle.forEach(count: count) { packet in
            packets += 1
            if let writer {
                writer.write(packet)
                if isLive { writer.flush() }
            }
            if printing {
                let bytes = ByteView(packet.bytes)
                switch view {
                case .packets:
                    printer.print(
                        bytes, wireLength: packet.wireLength, linkType: linkType, seconds: packet.seconds,
                        microseconds: packet.fraction, into: &out)
                case .http, .explain, .json:
                    let result = analyzer.add(
                        bytes, linkType: linkType, wireLength: packet.wireLength, seconds: packet.seconds,
                        microseconds: packet.fraction)
                    render(
                        result, packet: packet, bytes: bytes, frame: analyzer.frames, printer: &printer,
                        narrator: &narrator, analyzer: &analyzer, into: &out)
                }
                if out.count > flushLimit && !Console.write(&out) {
                    readerGone = true
                    return false
                }
            }
            return true
        }
        if printing && view != .packets {
            for message in analyzer.finish() { renderHTTP(message, analyzer: &analyzer, into: &out) }
        }
        if !readerGone { _ = Console.write(&out) }
        writer?.flush()
        return Outcome(packets: packets, statistics: handle.statistics(), stop: stop)
    }

    /// The analysed views of one frame.
    private func render(
        _ result: CaptureAnalyzer.FrameResult, packet: CapturedPacket, bytes: ByteView, frame: Int,
        printer: inout TcpdumpPrinter, narrator: inout HandshakeNarrator, analyzer: inout CaptureAnalyzer,
        into out: inout TextBuffer
    ) {
        switch view {
        case .packets, .http:
            break
        case .explain:
            printer.print(
                bytes, wireLength: packet.wireLength, linkType: linkType, seconds: packet.seconds,
                microseconds: packet.fraction, into: &out)
            if let segment = result.segment, let observation = result.observation {
                let sentence = narrator.narrate(segment)
                if !sentence.isEmpty { out.append(string: "    └ " + sentence + "\n") }
                if !observation.stateChanges.isEmpty {
                    let changes = observation.stateChanges.map {
                        "\($0.role.rawValue) \($0.from.rawValue) → \($0.to.rawValue)"
                    }
                    out.append(string: "      states: " + changes.joined(separator: ", ") + "\n")
                }
                let flags = observation.flags.subtracting([.windowUpdate, .ackedUnseenSegment])
                if !flags.isEmpty {
                    out.append(
                        string: "      analysis: " + flags.names.joined(separator: ", ") + " (as tshark flags it)\n")
                }
            }
        case .json:
            var line = TextBuffer(capacity: 256)
            printer.print(
                bytes, wireLength: packet.wireLength, linkType: linkType, seconds: packet.seconds,
                microseconds: packet.fraction, into: &line)
            let summary = String(line.string.dropFirst(16).dropLast())
            JSONLines.packet(
                frame: frame, seconds: packet.seconds, microseconds: packet.fraction, length: packet.wireLength,
                summary: summary, segment: result.segment, observation: result.observation, into: &out)
        }
        for message in result.httpMessages { renderHTTP(message, analyzer: &analyzer, into: &out) }
    }

    private func renderHTTP(
        _ message: HTTPConversation.Message, analyzer: inout CaptureAnalyzer, into out: inout TextBuffer
    ) {
        switch view {
        case .packets: break
        case .json: JSONLines.http(message, into: &out)
        case .http, .explain:
            let connection = analyzer.tracker.connection(message.stream)
            if view == .explain { out.append("  HTTP ") }
            HTTPMessageLine.render(message, client: connection.client, server: connection.server, into: &out)
        }
    }
}
