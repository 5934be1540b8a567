/// `netlab stats --rtt`: per data direction, one line per SampleRTT with RFC 6298's
/// EstimatedRTT, DevRTT and RTO after it, then the numbers a TCP lab asks for (segment sizes,
/// retransmissions, throughput, the smallest advertised window). The same numbers close the
/// graph pages.
public enum TCPDynamicsReport {
    public static func render(_ dynamics: TCPDynamics, into out: inout TextBuffer) {
        out.append(
            string: "TCP stream \(dynamics.stream): client \(dynamics.client)  ⇄  server \(dynamics.server)\n")
        let directions = [true, false].filter { dynamics.summary(fromClient: $0).segments > 0 }
        if directions.isEmpty { out.append("  no data segments\n") }
        for fromClient in directions {
            let from = fromClient ? "client" : "server", to = fromClient ? "server" : "client"
            out.append(string: "\n  data \(from) → \(to); times in seconds (RFC 6298: α 1/8, β 1/4, K 4)\n")
            out.append(
                string: "   ack frame  data frame        time   SampleRTT  EstimatedRTT      DevRTT         RTO\n")
            for sample in dynamics.samples where sample.fromClient == fromClient {
                out.append(
                    string: String(sample.ackFrame).leftPadded(12)
                        + String(sample.segmentFrame).leftPadded(12)
                        + ConversationTable.fixed(sample.time, width: 12, decimals: 6)
                        + ConversationTable.fixed(sample.sample, width: 12, decimals: 6)
                        + ConversationTable.fixed(sample.estimated, width: 14, decimals: 6)
                        + ConversationTable.fixed(sample.deviation, width: 12, decimals: 6)
                        + ConversationTable.fixed(sample.timeout, width: 12, decimals: 6) + "\n")
            }
            for line in summaryLines(dynamics, fromClient: fromClient) {
                out.append(string: "  \(line.0): \(line.1)\n")
            }
        }
    }

    /// (name, value) pairs for one data direction.
    public static func summaryLines(_ dynamics: TCPDynamics, fromClient: Bool) -> [(String, String)] {
        let summary = dynamics.summary(fromClient: fromClient)
        let samples = dynamics.samples.filter { $0.fromClient == fromClient }.map(\.sample)
        var lines: [(String, String)] = []
        lines.append(
            (
                "data segments",
                "\(summary.segments) (\(summary.newBytes) bytes new, \(summary.retransmittedBytes) bytes in "
                    + "\(summary.retransmissions) retransmissions); largest segment \(summary.largestSegment) bytes"
            ))
        if let smallest = samples.min(), let largest = samples.max() {
            let mean = samples.reduce(0, +) / Double(samples.count)
            lines.append(
                (
                    "SampleRTT",
                    "\(samples.count) sample\(samples.count == 1 ? "" : "s") (none for retransmitted segments: Karn's rule); min "
                        + "\(TimeSequenceGraph.milliseconds(smallest)), mean \(TimeSequenceGraph.milliseconds(mean)), "
                        + "max \(TimeSequenceGraph.milliseconds(largest))"
                ))
        } else {
            lines.append(("SampleRTT", "no samples (no segment was acknowledged exactly, or all were retransmitted)"))
        }
        if let smoothed = summary.estimator.smoothed, let raw = summary.estimator.rawTimeout,
            let timeout = summary.estimator.timeout
        {
            lines.append(("EstimatedRTT", TimeSequenceGraph.milliseconds(smoothed)))
            lines.append(("DevRTT", TimeSequenceGraph.milliseconds(summary.estimator.variation)))
            lines.append(
                (
                    "RTO",
                    ConversationTable.fixed(timeout, width: 0, decimals: 3) + " s (EstimatedRTT + 4·DevRTT = "
                        + "\(TimeSequenceGraph.milliseconds(raw)), rounded up to RFC 6298's 1 s; Linux rounds up to 200 ms)"
                ))
        }
        if let throughput = summary.throughput {
            lines.append(
                (
                    "throughput",
                    ConversationTable.fixed(throughput * 8 / 1000, width: 0, decimals: 1) + " kbit/s ("
                        + "\(summary.acknowledgedBytes) bytes acknowledged in "
                        + ConversationTable.fixed(summary.duration, width: 0, decimals: 6)
                        + " s, first data segment to the ACK of the last data byte)"
                ))
        }
        if let window = summary.smallestPeerWindow {
            lines.append(
                (
                    "smallest advertised window",
                    "\(window) bytes, advertised by the \(fromClient ? "server" : "client") (the receiver; "
                        + "window scaling applied when both SYNs were seen)"
                ))
        }
        return lines
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
