/// HTTP request and response counts (the numbers of tshark's `-z http,tree`).
public enum HTTPSummary {
    public static func render(_ counts: HTTPCounts, into out: inout TextBuffer) {
        out.append(string: "HTTP messages: \(counts.requests + counts.responses)\n")
        out.append(string: "  requests: \(counts.requests)\n")
        for (method, count) in counts.methods.sorted(by: { $0.key < $1.key }) {
            out.append(string: "    \(method)  \(count)\n")
        }
        out.append(string: "  responses: \(counts.responses)\n")
        for (status, entry) in counts.statuses.sorted(by: { $0.key < $1.key }) {
            out.append(string: "    \(status) \(entry.reason)  \(entry.count)\n")
        }
        // Only when there are any, so a clean capture's summary keeps tshark's shape.
        if !counts.malformed.isEmpty {
            out.append(string: "  malformed: \(counts.malformed.values.reduce(0, +)) (not counted above)\n")
            for (rule, count) in counts.malformed.sorted(by: { $0.key < $1.key }) {
                out.append(string: "    \(rule)  \(count)\n")
            }
        }
        if !counts.warnings.isEmpty {
            out.append(string: "  warnings (a strict server refuses these): \(counts.warnings.values.reduce(0, +))\n")
            for (rule, count) in counts.warnings.sorted(by: { $0.key < $1.key }) {
                out.append(string: "    \(rule)  \(count)\n")
            }
        }
    }
}
