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

    init(handle: CaptureHandle, linkType: LinkType, verbosity: Int, printing: Bool, writer: CaptureWriter?) {
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
        // Live captures flush every packet, so lines appear as packets arrive.
        let flushLimit = handle.isLive ? 0 : 1 << 16
        let linkType = linkType, printing = printing, writer = writer, isLive = handle.isLive
        var packets = 0
        var readerGone = false
        let stop = try handle.forEach(count: count) { packet in
            packets += 1
            if let writer {
                writer.write(packet)
                if isLive { writer.flush() }
            }
            if printing {
                printer.print(
                    ByteView(packet.bytes), wireLength: packet.wireLength, linkType: linkType,
                    seconds: packet.seconds, microseconds: packet.fraction, into: &out)
                if out.count > flushLimit && !Console.write(&out) {
                    readerGone = true
                    return false
                }
            }
            return true
        }
        if !readerGone { _ = Console.write(&out) }
        writer?.flush()
        return Outcome(packets: packets, statistics: handle.statistics(), stop: stop)
    }
}
