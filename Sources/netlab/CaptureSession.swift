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
        /// Connections with holes while the capture lost packets (the analysed views only).
        var incompleteConnections = 0

        /// tcpdump's closing lines.
        var summary: String {
            var lines = ["\(packets) packet\(packets == 1 ? "" : "s") captured"]
            if let statistics {
                lines.append("\(statistics.received) packet\(statistics.received == 1 ? "" : "s") received by filter")
                lines.append("\(statistics.dropped) packet\(statistics.dropped == 1 ? "" : "s") dropped by kernel")
                if statistics.interfaceDropped != 0 {
                    let count = statistics.interfaceDropped
                    lines.append("\(count) packet\(count == 1 ? "" : "s") dropped by interface")
                }
            }
            if incompleteConnections > 0 {
                lines.append(
                    "\(incompleteConnections) connection\(incompleteConnections == 1 ? " has" : "s have") holes "
                        + "marked \"capture incomplete\": the kernel dropped packets, so they say nothing about the network"
                )
            }
            return lines.joined(separator: "\n")
        }
    }

    /// The kernel buffer of a live capture, in KiB (for the advice when the kernel drops packets).
    var bufferKiB = CaptureHandle.defaultBufferSize / 1024

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

    /// What netlab says on stderr when the kernel's drop counter grew.
    static func dropWarning(_ count: UInt64, bufferKiB: Int) -> String {
        "netlab: the kernel dropped \(count) packet\(count == 1 ? "" : "s") (capture buffer full); "
            + "try -B \(max(bufferKiB * 2, 1024)) or a narrower filter"
    }

    func run(count: Int) throws(CaptureError) -> Outcome {
        if handle.isLive { StopSignals.route(to: handle) }
        defer { if handle.isLive { detachStopSignals() } }
        // Printer and buffer are locals: the per-packet path then needs no dynamic
        // exclusivity checks on class properties.
        let localTime = LocalTime()
        var printer = TcpdumpPrinter(
            verbosity: verbosity, utcOffset: { localTime.offset(at: $0) }, interfaceName: interfaceName)
        var out = TextBuffer(capacity: 1 << 17)
        var analyzer = CaptureAnalyzer(limits: limits)
        var narrator = HandshakeNarrator()
        var completeness = CaptureCompleteness()
        var drops = DropMonitor()
        let clock = ContinuousClock()
        let linkType = linkType, printing = printing, writer = writer, isLive = handle.isLive, view = view
        let handle = handle
        var packets = 0
        var readerGone = false

        // Live: output leaves once per batch (one write for a kernel block of packets), so a
        // fast capture makes few system calls and a slow one still shows each packet within
        // the block timeout. Files: once per 64 KiB. Both closures are written in the call and
        // call no local function that captures state (a local function capturing the locals
        // boxed them all, and every packet paid for run-time exclusivity checks).
        //
        // A read error (a file cut short) ends the loop like the end of the file, and is thrown
        // after what came before it was printed and written, as tcpdump prints those packets.
        let stop: Result<CaptureHandle.StopReason, CaptureError> = Result { () throws(CaptureError) in
            try handle.forEach(
                count: count,
                batchEnded: {
                    if isLive {
                        writer?.flush()
                        if printing && out.count > 0 && !Console.write(&out) {
                            readerGone = true
                            return false
                        }
                        checkDrops(drops: &drops, completeness: &completeness, analyzer: &analyzer, clock: clock)
                    }
                    return true
                }
            ) { packet in
                packets += 1
                writer?.write(packet)
                // Writing without --print decodes nothing: -w never waits on the decoder.
                guard printing else { return true }
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
                    // Only a live capture knows whether it lost packets (files: nothing to note).
                    if isLive, let observation = result.observation {
                        let sighting = completeness.note(observation)
                        if sighting != .noHole {
                            // The packets missing from this hole are already counted if the kernel dropped them.
                            if !completeness.captureLostPackets {
                                checkDrops(
                                    now: true, drops: &drops, completeness: &completeness, analyzer: &analyzer,
                                    clock: clock
                                )
                            }
                            if sighting == .firstHole && completeness.captureLostPackets && view == .http {
                                let connection = analyzer.tracker.connection(observation.stream)
                                HTTPMessageLine.renderCaptureHole(
                                    stream: observation.stream, client: connection.client, server: connection.server,
                                    into: &out)
                            }
                        }
                    }
                    render(
                        result, packet: packet, bytes: bytes, frame: analyzer.frames, printer: &printer,
                        narrator: &narrator, analyzer: &analyzer, completeness: completeness, into: &out)
                }
                if out.count > 1 << 16 && !Console.write(&out) {
                    readerGone = true
                    return false
                }
                return true
            }
        }
        checkDrops(now: true, drops: &drops, completeness: &completeness, analyzer: &analyzer, clock: clock)
        if printing && view != .packets {
            for message in analyzer.finish() {
                renderHTTP(message, analyzer: &analyzer, completeness: completeness, into: &out)
            }
        }
        if !readerGone { _ = Console.write(&out) }
        writer?.flush()
        return Outcome(
            packets: packets, statistics: handle.statistics(), stop: try stop.get(),
            incompleteConnections: view == .packets ? 0 : completeness.incompleteStreams)
    }

    /// Reads the kernel's counters (at most every 50 ms unless `now`), warns at most once a
    /// second, and from the first drop on treats holes in connections as the capture's. A
    /// method taking the state inout, not a local function capturing it: the packet handler's
    /// locals then stay unboxed, with no run-time exclusivity checks on every packet.
    private func checkDrops(
        now: Bool = false, drops: inout DropMonitor, completeness: inout CaptureCompleteness,
        analyzer: inout CaptureAnalyzer, clock: ContinuousClock
    ) {
        guard handle.isLive, drops.pollIsDue(at: clock.now) || now, let statistics = handle.statistics() else {
            return
        }
        if let count = drops.observe(kernelDropped: statistics.dropped, at: clock.now) {
            Console.error(Self.dropWarning(count, bufferKiB: bufferKiB))
        }
        if drops.captureIsIncomplete && !completeness.captureLostPackets {
            completeness.captureLostPackets = true
            // Packets the kernel dropped never come back: holding the data behind a hole for
            // a retransmission would make a connection's messages wait for its end (1 MiB of
            // small requests is minutes of keep-alive traffic; even 8 KiB held most of a
            // heavily lossy capture until Ctrl-C). So holes are given up at once: the data
            // after one flows on, and the connection is marked "capture incomplete" anyway.
            analyzer.tracker.limits.waitingBytesPerDirection = 0
        }
    }

    /// The analysed views of one frame.
    private func render(
        _ result: CaptureAnalyzer.FrameResult, packet: CapturedPacket, bytes: ByteView, frame: Int,
        printer: inout TcpdumpPrinter, narrator: inout HandshakeNarrator, analyzer: inout CaptureAnalyzer,
        completeness: CaptureCompleteness, into out: inout TextBuffer
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
                // What the dynamics mean; not for holes the capture itself made.
                if !completeness.isIncomplete(stream: observation.stream) {
                    for meaning in narrator.narrateDynamics(segment, flags: observation.flags) {
                        out.append(string: "    └ " + meaning + "\n")
                    }
                }
                if !observation.stateChanges.isEmpty {
                    let changes = observation.stateChanges.map {
                        "\($0.role.rawValue) \($0.from.rawValue) → \($0.to.rawValue)"
                    }
                    out.append(string: "      states: " + changes.joined(separator: ", ") + "\n")
                }
                let flags = observation.flags.subtracting([.windowUpdate, .ackedUnseenSegment])
                if completeness.isIncomplete(stream: observation.stream) {
                    // The capture lost packets: a hole here is not a lost segment on the network.
                    if !observation.flags.isDisjoint(with: CaptureCompleteness.holeFlags.union(flags)) {
                        out.append(
                            string: "      capture incomplete: the kernel dropped packets of this connection"
                                + " (not evidence of loss on the network)\n")
                    }
                } else if !flags.isEmpty {
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
                summary: summary, segment: result.segment, observation: result.observation,
                captureIncomplete: result.observation.map { completeness.isIncomplete(stream: $0.stream) } ?? false,
                into: &out)
        }
        for message in result.httpMessages {
            renderHTTP(message, analyzer: &analyzer, completeness: completeness, into: &out)
        }
    }

    private func renderHTTP(
        _ message: HTTPConversation.Message, analyzer: inout CaptureAnalyzer, completeness: CaptureCompleteness,
        into out: inout TextBuffer
    ) {
        switch view {
        case .packets: break
        case .json:
            JSONLines.http(
                message, captureIncomplete: completeness.isIncomplete(stream: message.stream), into: &out)
        case .http, .explain:
            let connection = analyzer.tracker.connection(message.stream)
            if view == .explain { out.append("  HTTP ") }
            HTTPMessageLine.render(
                message, client: connection.client, server: connection.server,
                captureIncomplete: completeness.isIncomplete(stream: message.stream), into: &out)
        }
    }
}

/// Ends the routing of SIGINT/SIGTERM to a capture whose loop is over, but keeps them handled
/// (a flag nobody reads) until the program exits: closing the capture afterwards can take tens
/// of milliseconds (the kernel waits for an RCU grace period when a packet socket closes), and a
/// stop request in that time must not kill a program that has done its work (status 130 or a
/// signal instead of 0). Only StopSignals' current calls: release() clears the target, and
/// install() puts the handlers back a few instructions later.
func detachStopSignals() {
    StopSignals.release()
    StopSignals.install()
}
