import ArgumentParser
import Capture
import Inspect

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise a capture: TCP conversations (like tshark -z conv,tcp) and HTTP requests and responses.",
        discussion: """
            The conversation table has tshark's columns: A is the client, "<-" counts what B sent
            to A, "->" what A sent to B, in frames and frame bytes. HTTP is found by content, on
            any port.

            --rtt instead shows TCP's dynamics per stream and data direction: SampleRTT for
            every acknowledged segment (measured from its first transmission to the ACK that
            covers exactly its last byte, as tshark's tcp.analysis.ack_rtt; none for a segment
            that was retransmitted, Karn's rule), EstimatedRTT, DevRTT and RTO as RFC 6298
            computes them, throughput, and the smallest advertised window (scaled).

            Examples:
              netlab stats -r captures/http-get.pcap
              netlab stats -r transfer.pcap --rtt --stream 0
            """
    )

    @Option(name: .customShort("r"), help: "The capture file (pcap or pcapng).")
    var readFile: String

    @Flag(help: "Round-trip times (RFC 6298), throughput and windows per TCP stream.")
    var rtt = false

    @Option(name: [.customShort("s"), .long], help: "With --rtt: only this TCP stream.")
    var stream: Int?

    @OptionGroup(title: "Connection tracking limits")
    var flowLimits: FlowLimitOptions

    func validate() throws {
        if stream != nil && !rtt { throw ValidationError("--stream goes with --rtt") }
        if let stream, stream < 0 { throw ValidationError("--stream takes a stream number from 0 up") }
    }

    func run() throws {
        if rtt { return try runRTT() }
        var analyzer = CaptureAnalyzer(limits: flowLimits.limits)
        try analyze(readFile, with: &analyzer)
        _ = analyzer.finish()
        var out = TextBuffer()
        ConversationTable.render(analyzer.tracker.connections, into: &out)
        HTTPSummary.render(analyzer.httpCounts, into: &out)
        _ = Console.write(&out)
    }

    func runRTT() throws {
        let (found, count) = try readDynamics(
            readFile, streams: stream.map { [$0] }, limits: flowLimits.limits, summaries: false)
        if let stream, found[stream] == nil {
            throw Failure(
                "no TCP stream \(stream) in \(readFile) (it has \(count))", exitCode: ExitCodes.dataError)
        }
        var out = TextBuffer()
        for (index, key) in found.keys.sorted().enumerated() {
            if index > 0 { out.append("\n") }
            TCPDynamicsReport.render(found[key]!, into: &out)
        }
        if found.isEmpty { out.append("no TCP streams\n") }
        _ = Console.write(&out)
    }
}
