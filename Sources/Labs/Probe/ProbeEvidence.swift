import Capture
import Inspect
import Sockets

/// The frames behind a failed check: one capture for the whole probe (root or CAP_NET_RAW),
/// cut afterwards by the check's client ports and time window, printed as `tcpdump -nn` lines
/// and as a ladder of the check's first connection.
final class ProbeEvidence {
    let capture: BackgroundCapture
    /// At most this many tcpdump lines per check (a large download has thousands): the first
    /// ones and the last ones, since a failure usually shows at the start (the handshake,
    /// the request) or at the end (the FIN or RST that cut the exchange short).
    static let maxLines = 40
    /// How many of `maxLines` are the last frames.
    static let tailLines = 12

    private init(capture: BackgroundCapture) { self.capture = capture }

    /// nil when capturing is not allowed here.
    static func start(target: HTTPURL) -> ProbeEvidence? {
        let loopback = target.host.hasPrefix("127.") || target.host == "::1" || target.host == "localhost"
        guard
            let capture = try? BackgroundCapture.start(
                interface: loopback ? "lo" : "any", filter: "tcp port \(target.port)")
        else { return nil }
        sleep(seconds: 0.05)
        return ProbeEvidence(capture: capture)
    }

    func stop() -> [BackgroundCapture.Frame] { capture.stop(settle: 0.3) }

    /// tcpdump lines and ladder rows of the frames to or from `ports` between `from` and `to`
    /// (wall-clock seconds, as libpcap stamps frames).
    func render(_ frames: [BackgroundCapture.Frame], ports: Set<UInt16>, from: Double, to: Double) -> (
        [String], [String]
    ) {
        guard !ports.isEmpty else { return ([], []) }
        var selector = CaptureAnalyzer()
        var chosen: [BackgroundCapture.Frame] = []
        for frame in frames {
            var segment: TCPSegment?
            frame.bytes.withUnsafeBytes { raw in
                segment =
                    selector.add(
                        ByteView(raw), linkType: capture.linkType, wireLength: frame.wireLength, seconds: frame.seconds,
                        microseconds: frame.microseconds
                    ).segment
            }
            guard frame.time >= from - 0.05, frame.time <= to + 0.5, let segment,
                ports.contains(segment.sourcePort) || ports.contains(segment.destinationPort)
            else { continue }
            chosen.append(frame)
        }
        var printer = TcpdumpPrinter()
        var analyzer = CaptureAnalyzer()
        var ladder: LadderDiagram?
        var lines: [String] = []
        for (index, frame) in chosen.enumerated() {
            var line = TextBuffer()
            var result = CaptureAnalyzer.FrameResult()
            frame.bytes.withUnsafeBytes { raw in
                let bytes = ByteView(raw)
                printer.print(
                    bytes, wireLength: frame.wireLength, linkType: capture.linkType, seconds: frame.seconds,
                    microseconds: frame.microseconds, into: &line)
                result = analyzer.add(
                    bytes, linkType: capture.linkType, wireLength: frame.wireLength, seconds: frame.seconds,
                    microseconds: frame.microseconds)
            }
            lines.append(String(line.string.dropLast()))
            if let segment = result.segment, let observation = result.observation, observation.stream == 0 {
                if ladder == nil { ladder = LadderDiagram(connection: analyzer.tracker.connection(0)) }
                ladder?.add(segment, observation: observation, frame: index + 1, time: frame.time)
            }
        }
        lines = Self.elided(lines, limit: Self.maxLines, noun: "frames")
        var rows: [String] = []
        if let ladder {
            var out = TextBuffer()
            ladder.renderText(into: &out)
            rows = out.string.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            while rows.last?.isEmpty == true { rows.removeLast() }
            rows = Self.elided(rows, limit: Self.maxLines + 6, noun: "rows")
        }
        return (lines, rows)
    }

    /// `lines` cut to `limit`: the first ones, a line saying how many were left out, and the
    /// last `tailLines`.
    static func elided(_ lines: [String], limit: Int, noun: String) -> [String] {
        guard lines.count > limit else { return lines }
        return Array(lines.prefix(limit - tailLines)) + ["… \(lines.count - limit) more \(noun) …"]
            + Array(lines.suffix(tailLines))
    }
}
