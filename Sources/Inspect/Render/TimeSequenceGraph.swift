/// Graphs of one connection's dynamics: the time-sequence graph in Stevens' and tcptrace's
/// style (data segments as vertical bars from first to last byte, the ACK line, the ACK +
/// advertised-window line, SACK blocks, retransmissions and duplicate ACKs marked), then
/// throughput, RTT samples and bytes in flight over time. As a self-contained HTML page
/// (inline SVG, no scripts; hover a mark for its frame's tcpdump line) or as Unicode text.
public struct TimeSequenceGraph {
    public let dynamics: TCPDynamics
    /// The data direction drawn.
    public let fromClient: Bool

    public init(_ dynamics: TCPDynamics, fromClient: Bool? = nil) {
        self.dynamics = dynamics
        self.fromClient = fromClient ?? dynamics.mainDirectionIsClient
    }

    var sender: String { fromClient ? "client \(dynamics.client)" : "server \(dynamics.server)" }
    var receiver: String { fromClient ? "server \(dynamics.server)" : "client \(dynamics.client)" }
    var data: [TCPDynamics.Segment] { dynamics.segments.filter { $0.fromClient == fromClient && $0.length > 0 } }
    var acks: [TCPDynamics.Segment] {
        dynamics.segments.filter { $0.fromClient != fromClient && $0.acknowledgment != nil && !$0.isRST }
    }

    /// The sequence range drawn: every data byte, ACK and window edge.
    var sequenceRange: (Double, Double) {
        var low = Double.infinity, high = -Double.infinity
        for segment in data {
            low = min(low, Double(segment.sequence))
            high = max(high, Double(segment.sequence &+ UInt32(segment.length)))
        }
        for ack in acks {
            guard let value = ack.acknowledgment, Int32(bitPattern: value) >= 0 else { continue }
            low = min(low, Double(value))
            high = max(high, Double(value) + Double(ack.window))
        }
        return low <= high ? (low, high) : (0, 1)
    }

    /// The latest time (a capture's clock may step back, so not simply the last segment's).
    var duration: Double { dynamics.segments.map(\.time).max() ?? 0 }

    // MARK: - HTML

    static let style = """
        body{font-family:sans-serif;margin:16px auto;max-width:960px;padding:0 8px;color:#222;background:#fff}
        h1{font-size:20px;overflow-wrap:anywhere}h2{font-size:16px;margin:20px 0 4px}
        svg{display:block;max-width:100%;height:auto}
        .frame{fill:none;stroke:#888}.grid{stroke:#eee}.tick{font:11px sans-serif;fill:#555}.axis{font:12px sans-serif}
        .seg{stroke:#1f5fbf;stroke-width:3}.seg.retx{stroke:#d62728;stroke-width:4}
        .ackline{fill:none;stroke:#2d8a34;stroke-width:1.5}.winline{fill:none;stroke:#b8860b;stroke-width:1.2}
        .ack{fill:#2d8a34}.dupack{fill:#ff7f0e;stroke:#000;stroke-width:.5}.sack{stroke:#9467bd;stroke-width:3}
        .rate{fill:#1f5fbf}.rtt{fill:#1f5fbf}.srtt{fill:none;stroke:#d62728;stroke-width:1.5}
        .rto{fill:none;stroke:#b8860b;stroke-width:1;stroke-dasharray:4 3}.flight{fill:#1f5fbf}
        .legend{font:12px sans-serif}table{border-collapse:collapse;font-size:13px}td{padding:2px 10px 2px 0}
        """

    public func renderHTML(into out: inout TextBuffer) {
        let title = HTMLText.escape(
            "TCP stream \(dynamics.stream): \(sender) → \(receiver)")
        out.append(
            string: "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width\"><title>\(title)</title>\n<style>"
                + Self.style + "</style></head>\n<body><h1>\(title)</h1>\n")
        out.append(
            string: "<p>Hover over a mark to see its frame as tcpdump prints it. Sequence numbers are relative "
                + "(the ISN is 0, so data starts at 1); windows are in bytes, window scaling applied.</p>\n")
        renderSequence(into: &out)
        renderThroughput(into: &out)
        renderRTT(into: &out)
        renderFlight(into: &out)
        renderSummaryTable(into: &out)
        out.append("</body></html>\n")
    }

    private func hover(_ segment: TCPDynamics.Segment) -> String {
        "<title>frame \(segment.frame): \(HTMLText.escape(segment.summary))</title>"
    }

    private func renderSequence(into out: inout TextBuffer) {
        let plot = SVGPlot(width: 960, height: 480, x: (0, max(duration, 1e-6)), y: sequenceRange)
        plot.open(
            title: "Time-sequence graph: data from \(sender)", xLabel: "time (s) since the first frame",
            yLabel: "relative sequence number", id: "sequence", into: &out)
        // The ACK line and the window line are steps: each value holds until the next ACK.
        var ackPath = "", windowPath = ""
        var last: (ack: Double, limit: Double)?
        for ack in acks {
            guard let value = ack.acknowledgment, Int32(bitPattern: value) >= 0 else { continue }
            let x = plot.x(ack.time), a = Double(value), w = a + Double(ack.window)
            if let last {
                ackPath += " L\(x),\(plot.y(last.ack))"
                windowPath += " L\(x),\(plot.y(last.limit))"
            }
            ackPath += (last == nil ? "M" : " L") + "\(x),\(plot.y(a))"
            windowPath += (last == nil ? "M" : " L") + "\(x),\(plot.y(w))"
            last = (a, w)
        }
        if let last {
            let end = plot.x(duration)
            ackPath += " L\(end),\(plot.y(last.ack))"
            windowPath += " L\(end),\(plot.y(last.limit))"
            out.append(
                string: "<path class=\"winline\" d=\"\(windowPath)\"/>\n<path class=\"ackline\" d=\"\(ackPath)\"/>\n")
        }
        for ack in acks {
            for block in ack.sack {
                out.append(
                    string: "<line class=\"sack\" x1=\"\(plot.x(ack.time))\" y1=\"\(plot.y(Double(block.left)))\" "
                        + "x2=\"\(plot.x(ack.time))\" y2=\"\(plot.y(Double(block.right)))\">\(hover(ack))</line>\n")
            }
        }
        for segment in data {
            let css = segment.isRetransmission ? "seg retx" : "seg"
            let x = plot.x(segment.time)
            out.append(
                string: "<line class=\"\(css)\" x1=\"\(x)\" y1=\"\(plot.y(Double(segment.sequence)))\" x2=\"\(x)\" "
                    + "y2=\"\(plot.y(Double(segment.sequence &+ UInt32(segment.length))))\">\(hover(segment))</line>\n")
        }
        for ack in acks {
            guard let value = ack.acknowledgment, Int32(bitPattern: value) >= 0 else { continue }
            let duplicate = ack.flags.contains(.duplicateAck)
            out.append(
                string: "<circle class=\"\(duplicate ? "dupack" : "ack")\" cx=\"\(plot.x(ack.time))\" "
                    + "cy=\"\(plot.y(Double(value)))\" r=\"\(duplicate ? 4 : 2.5)\">\(hover(ack))</circle>\n")
        }
        let legend: [(String, String)] = [
            ("#1f5fbf", "data segment"), ("#d62728", "retransmission"), ("#2d8a34", "ACK"),
            ("#ff7f0e", "duplicate ACK"), ("#b8860b", "ACK + advertised window"), ("#9467bd", "SACK block"),
        ]
        // Sans-serif 12 px averages under 7 px a character: each entry gets its text's room.
        var legendX = 90
        for item in legend {
            out.append(
                string: "<rect x=\"\(legendX)\" y=\"8\" width=\"12\" height=\"12\" fill=\"\(item.0)\"/>"
                    + "<text class=\"legend\" x=\"\(legendX + 16)\" y=\"18\">\(item.1)</text>\n")
            legendX += 16 + item.1.count * 7 + 18
        }
        plot.close(into: &out)
    }

    private func renderThroughput(into out: inout TextBuffer) {
        let bins = dynamics.throughput(fromClient: fromClient, bins: 40)
        let peak = bins.map(\.rate).max() ?? 0
        let plot = SVGPlot(width: 960, height: 220, x: (0, max(duration, 1e-6)), y: (0, max(peak * 8 / 1000, 1)))
        plot.open(
            title: "Throughput: new data per interval", xLabel: "time (s)", yLabel: "kbit/s", id: "throughput",
            into: &out)
        let width = bins.count > 1 ? bins[1].time - bins[0].time : duration
        for bin in bins where bin.rate > 0 {
            let x0 = plot.xPixel(bin.time), x1 = plot.xPixel(bin.time + width)
            let y = plot.yPixel(bin.rate * 8 / 1000), base = plot.yPixel(0)
            out.append(
                string: "<rect class=\"rate\" x=\"\(SVGPlot.number(x0))\" y=\"\(SVGPlot.number(y))\" "
                    + "width=\"\(SVGPlot.number(max(1, x1 - x0 - 1)))\" height=\"\(SVGPlot.number(base - y))\">"
                    + "<title>\(SVGPlot.number(bin.rate * 8 / 1000)) kbit/s from \(ConversationTable.fixed(bin.time, width: 0, decimals: 3)) s</title></rect>\n"
            )
        }
        plot.close(into: &out)
    }

    private func renderRTT(into out: inout TextBuffer) {
        let samples = dynamics.samples.filter { $0.fromClient == fromClient }
        let top = samples.map { max($0.sample, $0.estimated) }.max() ?? 0
        let plot = SVGPlot(width: 960, height: 240, x: (0, max(duration, 1e-6)), y: (0, max(top * 1000 * 1.1, 0.01)))
        plot.open(
            title: "RTT: SampleRTT per acknowledged segment (dots), EstimatedRTT (line), RFC 6298",
            xLabel: "time of the ACK (s)", yLabel: "ms", id: "rtt", into: &out)
        var path = ""
        for (index, sample) in samples.enumerated() {
            path += (index == 0 ? "M" : " L") + "\(plot.x(sample.time)),\(plot.y(sample.estimated * 1000))"
        }
        if !path.isEmpty { out.append(string: "<path class=\"srtt\" d=\"\(path)\"/>\n") }
        for sample in samples {
            out.append(
                string: "<circle class=\"rtt\" cx=\"\(plot.x(sample.time))\" cy=\"\(plot.y(sample.sample * 1000))\" "
                    + "r=\"3\"><title>frame \(sample.ackFrame) acknowledges frame \(sample.segmentFrame): "
                    + "SampleRTT \(Self.milliseconds(sample.sample)), EstimatedRTT \(Self.milliseconds(sample.estimated)), "
                    + "DevRTT \(Self.milliseconds(sample.deviation))</title></circle>\n")
        }
        plot.close(into: &out)
    }

    private func renderFlight(into out: inout TextBuffer) {
        let points = data.compactMap { segment in segment.bytesInFlight.map { (segment, $0) } }
        let top = points.map(\.1).max() ?? 0
        let plot = SVGPlot(width: 960, height: 220, x: (0, max(duration, 1e-6)), y: (0, Double(max(top, 1))))
        plot.open(
            title: "Bytes in flight (sent, not yet acknowledged) at each data segment", xLabel: "time (s)",
            yLabel: "bytes", id: "flight", into: &out)
        for (segment, bytes) in points {
            out.append(
                string: "<circle class=\"flight\" cx=\"\(plot.x(segment.time))\" cy=\"\(plot.y(Double(bytes)))\" "
                    + "r=\"2.5\"><title>\(bytes) bytes in flight after frame \(segment.frame)</title></circle>\n")
        }
        plot.close(into: &out)
    }

    private func renderSummaryTable(into out: inout TextBuffer) {
        out.append("<h2>Numbers</h2>\n<table>\n")
        for line in TCPDynamicsReport.summaryLines(dynamics, fromClient: fromClient) {
            out.append(string: "<tr><td>\(HTMLText.escape(line.0))</td><td>\(HTMLText.escape(line.1))</td></tr>\n")
        }
        out.append("</table>\n")
    }

    static func milliseconds(_ seconds: Double) -> String {
        ConversationTable.fixed(seconds * 1000, width: 0, decimals: 3) + " ms"
    }

    // MARK: - Terminal

    /// A character grid of the time-sequence graph (`columns` × `rows`), then the numbers.
    public func renderText(columns: Int = 72, rows: Int = 18, into out: inout TextBuffer) {
        out.append(string: "TCP stream \(dynamics.stream): data from \(sender) to \(receiver)\n")
        let range = sequenceRange, span = max(duration, 1e-6)
        var grid = [[Character]](repeating: [Character](repeating: " ", count: columns), count: rows)
        func place(_ time: Double, _ value: Double, _ mark: Character, over weaker: Set<Character>) {
            let column = SVGPlot.bucket(time / span * Double(columns - 1), count: columns)
            let fraction = (value - range.0) / max(range.1 - range.0, 1)
            let row = rows - 1 - SVGPlot.bucket(fraction * Double(rows - 1), count: rows)
            if grid[row][column] == " " || weaker.contains(grid[row][column]) { grid[row][column] = mark }
        }
        // Weakest first: window edge, ACK, duplicate ACK, data, retransmission.
        for ack in acks {
            guard let value = ack.acknowledgment, Int32(bitPattern: value) >= 0 else { continue }
            place(ack.time, Double(value) + Double(ack.window), "┄", over: [])
        }
        for ack in acks {
            guard let value = ack.acknowledgment, Int32(bitPattern: value) >= 0 else { continue }
            let duplicate = ack.flags.contains(.duplicateAck)
            place(ack.time, Double(value), duplicate ? "d" : "·", over: duplicate ? ["┄", "·"] : ["┄"])
        }
        for segment in data {
            let end = Double(segment.sequence &+ UInt32(segment.length))
            if segment.isRetransmission {
                place(segment.time, end, "R", over: ["┄", "·", "d", "▮"])
            } else {
                place(segment.time, end, "▮", over: ["┄", "·", "d"])
            }
        }
        let top = ConversationTable.fixed(range.1, width: 0, decimals: 0)
        let bottom = ConversationTable.fixed(range.0, width: 0, decimals: 0)
        let labelWidth = max(top.count, bottom.count)
        for (index, row) in grid.enumerated() {
            let label = index == 0 ? top : index == rows - 1 ? bottom : ""
            out.append(
                string: String(repeating: " ", count: labelWidth - label.count) + label + " │" + String(row) + "\n")
        }
        out.append(
            string: String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: columns) + "\n")
        let end = ConversationTable.fixed(duration, width: 0, decimals: 3) + " s"
        out.append(
            string: String(repeating: " ", count: labelWidth + 2) + "0"
                + String(repeating: " ", count: max(1, columns - 1 - end.count)) + end + "\n")
        out.append(
            string: "  ▮ data (top = its last byte)  R retransmission  · ACK  d duplicate ACK  ┄ ACK + window\n\n")
        for line in TCPDynamicsReport.summaryLines(dynamics, fromClient: fromClient) {
            out.append(string: "  \(line.0): \(line.1)\n")
        }
    }
}
