import ArgumentParser
import Capture
import Inspect

struct Sniff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture live on an interface, or read a capture file, and decode each packet like tcpdump -nn.",
        discussion: """
            Lines are the same as `tcpdump -nn` prints (with -v, as `tcpdump -nn -v`). The first
            argument is the interface when one by that name exists; the rest is a BPF filter in
            tcpdump's syntax. Live capture needs root or CAP_NET_RAW.

            Examples:
              sudo netlab sniff                       # everything on lo
              sudo netlab sniff lo tcp port 8080      # one port
              sudo netlab sniff -c 10 -w out.pcap     # save 10 packets for Wireshark
              netlab sniff -r out.pcap -v 'tcp[tcpflags] & tcp-syn != 0'
              netlab sniff -r captures/http-get.pcap --explain   # every packet in plain words
              netlab sniff -r captures/http-get.pcap --http      # one line per HTTP message
              netlab sniff -r captures/http-get.pcap --json      # JSON Lines (docs/json.md)
            Ctrl-C stops a live capture and prints how many packets were captured and dropped.
            """
    )

    @Argument(
        help: ArgumentHelp(
            "Interface (default lo) followed by a BPF filter expression.", valueName: "interface] [filter"))
    var words: [String] = []

    @Option(name: .customShort("i"), help: "Interface to capture on (default: lo).")
    var interface: String?

    @Option(name: .customShort("r"), help: "Read packets from a pcap or pcapng file instead of capturing.")
    var readFile: String?

    @OptionGroup(title: "Connection tracking limits")
    var flowLimits: FlowLimitOptions

    @Option(
        name: .customShort("w"), help: "Write the raw packets to a pcap file (then nothing is printed unless --print).")
    var writeFile: String?

    @Flag(name: .customLong("print"), help: "Print decoded packets even while writing with -w.")
    var printWhileWriting = false

    @Option(name: .customShort("c"), help: "Stop after this many packets.")
    var count: Int?

    @Flag(name: .customShort("v"), help: "Verbose: IP header fields and checksums, as tcpdump -v.")
    var verbose = false

    @Flag(help: "Explain each TCP packet for a beginner: who opens and closes, sequence numbers, states.")
    var explain = false

    @Flag(help: "Print one line per HTTP message (found by content, on any port) instead of packets.")
    var http = false

    @Flag(help: "Print JSON Lines: packets, TCP state changes and HTTP messages (schema: docs/json.md).")
    var json = false

    @Option(name: .customShort("s"), help: "Bytes to capture per packet (live capture).")
    var snaplen: Int32 = CaptureHandle.defaultSnapshotLength

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("-c needs a positive number of packets") }
        if snaplen <= 0 { throw ValidationError("-s needs a positive number of bytes") }
        if readFile != nil && interface != nil {
            throw ValidationError("-r reads a file; -i captures live: give one of them")
        }
        if [explain, http, json].filter({ $0 }).count > 1 {
            throw ValidationError("--explain, --http and --json are different views: choose one")
        }
    }

    /// Splits the positional words into interface and filter.
    func resolvedSource() -> (interface: String, filter: String) {
        var rest = words
        var name = interface ?? "lo"
        if interface == nil, readFile == nil, let first = rest.first, interfaceExists(first) {
            name = first
            rest.removeFirst()
        }
        return (name, rest.joined(separator: " "))
    }

    private func open(interface name: String, filter: String) throws(CaptureError) -> CaptureHandle {
        let handle =
            if let readFile { try CaptureHandle.file(readFile) } else {
                try CaptureHandle.live(interface: name, snapshotLength: snaplen)
            }
        if !filter.isEmpty { try handle.setFilter(filter) }
        return handle
    }

    func run() throws {
        let (name, filter) = resolvedSource()
        let handle: CaptureHandle
        do {
            handle = try open(interface: name, filter: filter)
        } catch {
            throw failure(error)
        }
        let linkType = LinkType(rawValue: handle.linkType)
        if handle.isLive {
            Console.error(
                "listening on \(name), link-type \(handle.linkTypeName), snapshot length \(handle.snapshotLength) bytes"
            )
        } else {
            Console.error(
                "reading from file \(handle.source), link-type \(handle.linkTypeName), snapshot length \(handle.snapshotLength)"
            )
        }
        var writer: CaptureWriter?
        if let writeFile {
            do {
                writer = try CaptureWriter(path: writeFile, for: handle)
            } catch {
                throw failure(error)
            }
        }
        let session = CaptureSession(
            handle: handle, linkType: linkType, verbosity: verbose ? 1 : 0,
            printing: writer == nil || printWhileWriting, writer: writer,
            view: explain ? .explain : http ? .http : json ? .json : .packets, limits: flowLimits.limits)
        let outcome: CaptureSession.Outcome
        do {
            outcome = try session.run(count: count ?? 0)
        } catch {
            throw failure(error)
        }
        if handle.isLive || writer != nil {
            Console.error(outcome.summary)
        }
    }
}
