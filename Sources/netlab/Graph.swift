import ArgumentParser
import Capture
import Inspect

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Graph a TCP connection's dynamics: time-sequence (tcptrace style), throughput, RTT, bytes in flight.",
        discussion: """
            The time-sequence graph plots the direction that carried more data: each data segment
            is a bar from its first to its last byte (red when it is a retransmission), the ACK
            line climbs as the receiver acknowledges, the line above it is ACK + advertised window
            (the most the sender may have sent), SACK blocks are purple, duplicate ACKs orange.
            Without --html: a Unicode rendering for a terminal, then the numbers. With --html: a
            self-contained page (inline SVG, no scripts, nothing fetched); hover a mark to see its
            frame as tcpdump prints it.

            Examples:
              netlab graph -r transfer.pcap
              netlab graph -r transfer.pcap --stream 2 --html graph.html
              netlab stats -r transfer.pcap --rtt        # the same numbers, one line per RTT sample
            """
    )

    @Option(name: .customShort("r"), help: "The capture file (pcap or pcapng).")
    var readFile: String

    @Option(name: [.customShort("s"), .long], help: "Which TCP stream to draw (see netlab stats).")
    var stream = 0

    @Option(help: "Write the graphs as a self-contained HTML page to this file.")
    var html: String?

    @OptionGroup(title: "Connection tracking limits")
    var flowLimits: FlowLimitOptions

    func validate() throws {
        if stream < 0 { throw ValidationError("--stream takes a stream number from 0 up") }
    }

    func run() throws {
        let (found, count) = try readDynamics(
            readFile, streams: [stream], limits: flowLimits.limits, summaries: html != nil)
        guard let dynamics = found[stream] else {
            throw Failure(
                "no TCP stream \(stream) in \(readFile) (it has \(count); netlab stats lists them)",
                exitCode: ExitCodes.dataError)
        }
        let graph = TimeSequenceGraph(dynamics)
        var out = TextBuffer()
        if let html {
            var page = TextBuffer()
            graph.renderHTML(into: &page)
            guard writeFile(html, page) else {
                throw Failure("cannot write '\(html)'", exitCode: ExitCodes.cannotCreate)
            }
            out.append(string: "wrote \(html)\n")
        } else {
            graph.renderText(into: &out)
        }
        _ = Console.write(&out)
    }
}

/// Every frame of a capture through the tracker; the dynamics of the streams asked for (nil:
/// all), with each frame's tcpdump line for hover text when `summaries`. Returns them and the
/// stream count.
func readDynamics(
    _ path: String, streams: Set<Int>?, limits: TCPTracker.Limits, summaries: Bool
) throws -> ([Int: TCPDynamics], Int) {
    var analyzer = CaptureAnalyzer(limits: limits)
    var found: [Int: TCPDynamics] = [:]
    let localTime = LocalTime()
    var printer = TcpdumpPrinter(utcOffset: { localTime.offset(at: $0) })
    var line = TextBuffer(capacity: 512)
    do {
        let handle = try CaptureHandle.file(path)
        let linkType = LinkType(rawValue: handle.linkType)
        _ = try handle.forEach { packet in
            let bytes = ByteView(packet.bytes)
            let result = analyzer.add(
                bytes, linkType: linkType, wireLength: packet.wireLength, seconds: packet.seconds,
                microseconds: packet.fraction)
            guard let segment = result.segment, let observation = result.observation,
                streams?.contains(observation.stream) ?? true
            else { return true }
            line.removeAll()
            if summaries {
                printer.print(
                    bytes, wireLength: packet.wireLength, linkType: linkType, seconds: packet.seconds,
                    microseconds: packet.fraction, into: &line)
            }
            let stream = observation.stream
            if found[stream] == nil { found[stream] = TCPDynamics(connection: analyzer.tracker.connection(stream)) }
            let time = Double(packet.seconds) + Double(packet.fraction) / 1_000_000
            found[stream]!.add(
                segment, observation: observation, frame: analyzer.frames, time: time,
                summary: summaries ? String(line.string.dropLast()) : "")
            return true
        }
    } catch {
        throw failure(error)
    }
    return (found, analyzer.tracker.connections.count)
}
