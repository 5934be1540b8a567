import Inspect

/// Lesson 17's check: how many connections a server served at the same time. Each connection's
/// service is the span from its first to its last response sent in time (before its client
/// gave up); a concurrent server's spans overlap, a serial server's follow one another.
extension Expectation {
    func evaluateOverlap(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let byStream = Dictionary(facts.connections.map { ($0.stream, $0) }, uniquingKeysWith: { first, _ in first })
        var spans: [Int: (first: Double, last: Double, count: Int)] = [:]
        var lateStreams = Set<Int>()
        for message in facts.http where message.kind == .response && !message.isMalformed {
            guard let status = message.head?.status, status >= 200, let connection = byStream[message.stream],
                message.firstFrame >= 1, message.firstFrame <= facts.frameTimes.count
            else { continue }
            let time = facts.frameTimes[message.firstFrame - 1]
            if let gaveUp = connection.clientGaveUp, gaveUp <= time {
                lateStreams.insert(message.stream)
                continue
            }
            let span = spans[message.stream] ?? (time, time, 0)
            spans[message.stream] = (min(span.first, time), max(span.last, time), span.count + 1)
        }
        // The most spans open at one instant: starts before ends at the same time, so a span
        // that ends exactly where another starts still counts as overlapping.
        var edges: [(time: Double, change: Int)] = []
        for span in spans.values {
            edges.append((span.first, 1))
            edges.append((span.last, -1))
        }
        edges.sort { $0.time < $1.time || ($0.time == $1.time && $0.change > $1.change) }
        var open = 0, most = 0
        for edge in edges {
            open += edge.change
            most = max(most, open)
        }
        let responses = spans.values.map(\.count).reduce(0, +)
        var found =
            "\(responses) response\(responses == 1 ? "" : "s") on \(spans.count) connection\(spans.count == 1 ? "" : "s")"
            + "; at most \(most) served at the same time"
        if !lateStreams.isEmpty {
            found +=
                "; \(lateStreams.count) connection\(lateStreams.count == 1 ? "" : "s") answered only after the client "
                + "had given up (served in turn, one at a time)"
        }
        return (most >= number, found)
    }
}
