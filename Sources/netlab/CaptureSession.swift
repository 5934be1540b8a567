import Capture
import Inspect

/// Reads packets from a handle, prints them as tcpdump lines and/or writes them to a file,
/// until the file ends, a count is reached or Ctrl-C.
final class CaptureSession {
    let handle: CaptureHandle
    let console: Console
    let writer: CaptureWriter?
    var printer: TcpdumpPrinter
    let linkType: LinkType
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
        self.printing = printing
        self.writer = writer
        console = Console(flushEachRecord: handle.isLive)
        let localTime = LocalTime()
        printer = TcpdumpPrinter(
            verbosity: verbosity, utcOffset: { localTime.offset(at: $0) }, interfaceName: interfaceName)
    }

    func run(count: Int) throws(CaptureError) -> Outcome {
        if handle.isLive { StopSignals.route(to: handle) }
        defer { if handle.isLive { StopSignals.release() } }
        var packets = 0
        let stop = try handle.forEach(count: count) { packet in
            packets += 1
            if let writer {
                writer.write(packet)
                if handle.isLive { writer.flush() }
            }
            if printing {
                printer.print(
                    ByteView(packet.bytes), wireLength: packet.wireLength, linkType: linkType,
                    seconds: packet.seconds, microseconds: packet.fraction, into: &console.buffer)
                console.recordDone()
                if console.closed { return false }
            }
            return true
        }
        console.flush()
        writer?.flush()
        return Outcome(packets: packets, statistics: handle.statistics(), stop: stop)
    }
}
