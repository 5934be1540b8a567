import ArgumentParser
import Capture
import Inspect

struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one TCP stream's bytes in order, both directions, like tshark -z follow,tcp,ascii.",
        discussion: """
            Streams are numbered 0, 1, … in the order their first packet appears (tshark's
            tcp.stream). The client's bytes are flush left, the server's indented by a tab; each
            block starts with its length. Out-of-order and retransmitted segments are put back in
            order; bytes missing from the capture are reported, never joined silently.

            Examples:
              netlab follow -r captures/http-get.pcap
              netlab follow -r big.pcap --stream 3
            """
    )

    @Option(name: .customShort("r"), help: "The capture file (pcap or pcapng).")
    var readFile: String

    @OptionGroup(title: "Connection tracking limits")
    var flowLimits: FlowLimitOptions

    @Option(name: [.customShort("s"), .long], help: "The stream number (see netlab stats).")
    var stream = 0

    func validate() throws {
        if stream < 0 { throw ValidationError("--stream takes a stream number from 0 up") }
    }

    func run() throws {
        var analyzer = CaptureAnalyzer(limits: flowLimits.limits, followStreams: [stream])
        try analyze(readFile, with: &analyzer)
        _ = analyzer.finish()
        var out = TextBuffer()
        guard stream < analyzer.tracker.connections.count else {
            Console.error(
                "netlab: no TCP stream \(stream) in \(readFile) (it has \(analyzer.tracker.connections.count))")
            throw ExitCode(ExitCodes.dataError)
        }
        let connection = analyzer.tracker.connection(stream)
        // tshark's node 0 is whoever sent the stream's first captured frame (the server when
        // the SYN-ACK was recorded before the SYN); node 0's bytes are the unindented ones.
        let serverFirst = connection.firstSender == .server
        FollowText.render(
            stream: stream, client: serverFirst ? connection.server : connection.client,
            server: serverFirst ? connection.client : connection.server,
            chunks: (analyzer.followed[stream] ?? []).map { (serverFirst ? $0.role.other : $0.role, $0.chunk) },
            into: &out)
        _ = Console.write(&out)
    }
}

/// Runs every frame of a capture file through an analyzer.
func analyze(_ path: String, with analyzer: inout CaptureAnalyzer) throws {
    do {
        let handle = try CaptureHandle.file(path)
        let linkType = LinkType(rawValue: handle.linkType)
        _ = try handle.forEach { packet in
            _ = analyzer.add(
                ByteView(packet.bytes), linkType: linkType, wireLength: packet.wireLength, seconds: packet.seconds,
                microseconds: packet.fraction)
            return true
        }
    } catch {
        throw failure(error)
    }
}
