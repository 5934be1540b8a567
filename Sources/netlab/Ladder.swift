import ArgumentParser
import Capture
import Inspect

struct Ladder: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a TCP connection as a ladder diagram: client and server, one arrow per segment, states beside.",
        discussion: """
            Reads a capture with -r, or captures live (root or CAP_NET_RAW) until -c packets or
            Ctrl-C. Each arrow shows the flags, relative seq/ack, window and length; each side's
            RFC 9293 state changes are written beside its line. --html writes a self-contained
            page with the diagram as SVG.

            Examples:
              netlab ladder -r captures/http-get.pcap
              netlab ladder -r captures/http-get.pcap --html ladder.html
              sudo netlab ladder lo tcp port 8080 -c 20
            """
    )

    @Argument(
        help: ArgumentHelp("Interface (live capture, default lo) and BPF filter.", valueName: "interface] [filter"))
    var words: [String] = []

    @Option(name: .customShort("r"), help: "Read packets from a pcap or pcapng file.")
    var readFile: String?

    @OptionGroup(title: "Connection tracking limits")
    var flowLimits: FlowLimitOptions

    @Option(name: .customShort("c"), help: "Stop a live capture after this many packets.")
    var count: Int?

    @Option(name: [.customShort("s"), .long], help: "Which TCP stream to draw (see netlab stats).")
    var stream = 0

    @Option(help: "Also write the diagram as an HTML page with SVG to this file.")
    var html: String?

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("-c needs a positive number of packets") }
        if stream < 0 { throw ValidationError("--stream takes a stream number from 0 up") }
    }

    func run() throws {
        let handle: CaptureHandle
        do {
            var rest = words
            var interface = "lo"
            if readFile == nil, let first = rest.first, interfaceExists(first) {
                interface = first
                rest.removeFirst()
            }
            handle =
                try readFile.map { path throws(CaptureError) in try CaptureHandle.file(path) }
                ?? CaptureHandle.live(interface: interface)
            if !rest.isEmpty { try handle.setFilter(rest.joined(separator: " ")) }
        } catch let error as CaptureError {
            throw failure(error)
        }
        let linkType = LinkType(rawValue: handle.linkType)
        var analyzer = CaptureAnalyzer(limits: flowLimits.limits)
        var diagram: LadderDiagram?
        if handle.isLive {
            StopSignals.route(to: handle)
            Console.error("capturing on lo until \(count.map { "\($0) packets or " } ?? "")Ctrl-C …")
        }
        defer { if handle.isLive { detachStopSignals() } }
        do {
            _ = try handle.forEach(count: count ?? 0) { packet in
                let result = analyzer.add(
                    ByteView(packet.bytes), linkType: linkType, wireLength: packet.wireLength, seconds: packet.seconds,
                    microseconds: packet.fraction)
                guard let segment = result.segment, let observation = result.observation,
                    observation.stream == stream
                else { return true }
                if diagram == nil { diagram = LadderDiagram(connection: analyzer.tracker.connection(stream)) }
                let time = Double(packet.seconds) + Double(packet.fraction) / 1_000_000
                diagram?.add(segment, observation: observation, frame: analyzer.frames, time: time)
                return true
            }
        } catch {
            throw failure(error)
        }
        // A live capture that lost packets: holes in the diagram may be the capture's.
        if let statistics = handle.statistics(), statistics.dropped > 0 {
            Console.error(
                "netlab: capture incomplete: the kernel dropped \(statistics.dropped) packets, so lost or "
                    + "retransmitted segments in this diagram may be the capture's, not the network's")
        }
        guard let diagram else {
            Console.error(
                "netlab: no TCP stream \(stream) in the packets (\(analyzer.tracker.connections.count) streams)")
            throw ExitCode(ExitCodes.dataError)
        }
        var out = TextBuffer()
        diagram.renderText(into: &out)
        if let html {
            var page = TextBuffer()
            diagram.renderHTML(into: &page)
            guard writeFile(html, page) else {
                Console.error("netlab: cannot write '\(html)'")
                throw ExitCode(ExitCodes.cannotCreate)
            }
            out.append(string: "\nwrote \(html)\n")
        }
        _ = Console.write(&out)
    }
}
