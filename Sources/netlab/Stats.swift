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

            Example:
              netlab stats -r captures/http-get.pcap
            """
    )

    @Option(name: .customShort("r"), help: "The capture file (pcap or pcapng).")
    var readFile: String

    @OptionGroup(title: "Connection tracking limits")
    var flowLimits: FlowLimitOptions

    func run() throws {
        var analyzer = CaptureAnalyzer(limits: flowLimits.limits)
        try analyze(readFile, with: &analyzer)
        _ = analyzer.finish()
        var out = TextBuffer()
        ConversationTable.render(analyzer.tracker.connections, into: &out)
        HTTPSummary.render(analyzer.httpCounts, into: &out)
        _ = Console.write(&out)
    }
}
