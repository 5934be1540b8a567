import ArgumentParser
import Capture
import Inspect
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

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

            Live packets come from the kernel in batches (a block of the capture buffer, or
            what arrived in 100 ms), which keeps up with loopback at full speed; printing to a
            terminal, or --immediate, hands each packet over as it arrives instead. When the
            kernel drops packets (the buffer was full), netlab says so on stderr, at most once a
            second: raise -B or narrow the filter.
              sudo netlab sniff -B 16384 -w load.pcap lo tcp port 8080   # 16 MiB buffer

            --path captures inside the running `netlab path` (on its netlab0 unless you name
            another interface): the client side sees segments before the relay shapes them,
            the server side after.
              sudo netlab sniff --path client tcp port 8000
              sudo netlab sniff --path server --json -w server.pcap --print
            """
    )

    @Argument(
        help: ArgumentHelp(
            "Interface (default lo) followed by a BPF filter expression.", valueName: "interface] [filter"))
    var words: [String] = []

    @Option(name: .customShort("i"), help: "Interface to capture on (default: lo).")
    var interface: String?

    @Option(help: "Capture inside the running `netlab path`: its client or server side.")
    var path: NetworkPath.Side?

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

    @Option(
        name: .customShort("B"),
        help: ArgumentHelp(
            "Kernel capture buffer in KiB, as tcpdump -B (default \(CaptureHandle.defaultBufferSize / 1024); tcpdump's is 2048).",
            valueName: "KiB"))
    var bufferKiB: Int?

    @Flag(
        help: ArgumentHelp(
            "Hand each packet over as it arrives (default only when printing to a terminal): "
                + "less delay, less throughput."))
    var immediate = false

    /// -B's range: at least one 4 KiB page; below 2 GiB, libpcap's limit (a C int of bytes).
    static let bufferKiBRange = 4...2_097_151

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("-c needs a positive number of packets") }
        if snaplen <= 0 { throw ValidationError("-s needs a positive number of bytes") }
        if readFile != nil && interface != nil {
            throw ValidationError("-r reads a file; -i captures live: give one of them")
        }
        if let bufferKiB, !Self.bufferKiBRange.contains(bufferKiB) {
            throw ValidationError(
                "-B takes the capture buffer size in KiB, from \(Self.bufferKiBRange.lowerBound) to "
                    + "\(Self.bufferKiBRange.upperBound) (default \(CaptureHandle.defaultBufferSize / 1024))")
        }
        if readFile != nil && (bufferKiB != nil || immediate) {
            throw ValidationError("-B and --immediate tune live capture; -r reads a file: leave them out")
        }
        if path != nil && readFile != nil {
            throw ValidationError("--path captures live inside the path; -r reads a file: give one of them")
        }
        if [explain, http, json].filter({ $0 }).count > 1 {
            throw ValidationError("--explain, --http and --json are different views: choose one")
        }
    }

    /// Splits the positional words into interface and filter.
    func resolvedSource() -> (interface: String, filter: String) {
        var rest = words
        var name = interface ?? (path != nil ? NetworkPath.interfaceName : "lo")
        if interface == nil, readFile == nil, let first = rest.first, interfaceExists(first) {
            name = first
            rest.removeFirst()
        }
        return (name, rest.joined(separator: " "))
    }

    /// Whether decoded lines are printed (always, unless writing with -w without --print).
    var printing: Bool { writeFile == nil || printWhileWriting }

    private func open(interface name: String, filter: String) throws(CaptureError) -> CaptureHandle {
        // Per-packet wake-ups only where a person watches lines appear; a pipe, a file or -w
        // alone gets batches (a packet still shows within the 100 ms block timeout).
        let handle =
            if let readFile { try CaptureHandle.file(readFile) } else {
                try CaptureHandle.live(
                    interface: name, snapshotLength: snaplen,
                    bufferSize: (bufferKiB ?? CaptureHandle.defaultBufferSize / 1024) * 1024,
                    immediate: immediate || (printing && Console.stdoutIsTerminal))
            }
        if !filter.isEmpty { try handle.setFilter(filter) }
        return handle
    }

    func run() throws {
        // Inside the path, every thread must be there (the interface lookup included): run again there.
        if let path, !NetworkPath.entered(path) {
            guard geteuid() == 0 else {
                throw Failure(
                    "capturing inside the path needs root (it enters the path's network namespace); "
                        + "run `sudo netlab sniff --path \(path.rawValue) …`", exitCode: ExitCodes.permission)
            }
            throw failure(NetworkPath.reexecute(inside: path, owner: nil))  // returns only on failure
        }
        let (name, filter) = resolvedSource()
        let handle: CaptureHandle
        do {
            handle = try open(interface: name, filter: filter)
        } catch {
            throw failure(error)
        }
        let linkType = LinkType(rawValue: handle.linkType)
        if handle.isLive {
            // Handled from before "listening on" (scripts send Ctrl-C as soon as they see it):
            // a stop request then is kept and honoured when the capture loop starts.
            StopSignals.install()
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
            handle: handle, linkType: linkType, verbosity: verbose ? 1 : 0, printing: printing, writer: writer,
            view: explain ? .explain : http ? .http : json ? .json : .packets, limits: flowLimits.limits)
        if let bufferKiB { session.bufferKiB = bufferKiB }
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
