import Inspect

/// The human report: one line per check, and under each failure what was expected, what
/// happened, why it matters and the evidence. Colour only when asked (a terminal without NO_COLOR).
public struct ProbeText {
    public var colour: Bool
    /// Bytes of each direction shown before the middle is cut (the tail is shown too).
    public static let headBytes = 600
    public static let tailBytes = 120

    public init(colour: Bool) { self.colour = colour }

    private func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    public func header(_ report: ProbeReport) -> String {
        var lines = ["netlab probe \(report.command) \(report.target)"]
        for key in ["file", "directory", "large", "sentinel", "server"] {
            if let value = report.resources[key] { lines.append("  \(key): \(value)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func render(_ report: ProbeReport) -> String {
        var out = header(report)
        for group in ProbeGroup.allCases {
            let results = report.results.filter { $0.group == group }
            guard !results.isEmpty else { continue }
            out += "\n" + paint(group.title, "1") + "\n"
            for result in results { out += render(result) }
        }
        let (passed, ran) = report.score
        out += "\n" + paint("Score: \(passed)/\(ran) checks passed", report.allRequiredPassed ? "32;1" : "31;1")
        if report.skipped > 0 { out += " (\(report.skipped) skipped)" }
        out += "\n"
        if !report.model.isEmpty { out += "Concurrency model: \(report.model)\n" }
        if let note = report.captureNote { out += note + "\n" }
        if !report.allRequiredPassed {
            out += "Failed: " + report.failedIDs.joined(separator: ", ") + "\n"
        }
        return out
    }

    public func render(_ result: ProbeResult) -> String {
        let mark: String
        switch result.status {
        case .passed: mark = paint("PASS", "32")
        case .failed: mark = result.required ? paint("FAIL", "31;1") : paint("FAIL (optional)", "33")
        case .skipped: mark = paint("SKIP", "33")
        }
        var out = "  \(mark) \(result.title) [\(result.id)]: \(result.observed)\n"
        guard result.status == .failed else { return out }
        out += "       expected: \(result.expected)\n"
        out += "       why: \(result.why)\n"
        for exchange in result.exchanges {
            let port = exchange.localPort == 0 ? "" : " (local port \(exchange.localPort))"
            out += "       \(paint(exchange.label, "1"))\(port):\n"
            out += "         sent \(exchange.sent.count) bytes: \(Self.excerpt(exchange.sent))\n"
            out +=
                "         received \(exchange.received.count) bytes, \(exchange.ending): \(Self.excerpt(exchange.received))\n"
        }
        if !result.frames.isEmpty {
            out += "       frames (tcpdump -nn):\n"
            for line in result.frames { out += "         \(line)\n" }
        }
        if !result.ladder.isEmpty {
            out += "       ladder:\n"
            for line in result.ladder { out += "         \(line)\n" }
        }
        return out
    }

    /// The bytes escaped (\r, \n, \xNN) in one quoted string; the middle of a long one cut.
    public static func excerpt(_ bytes: [UInt8]) -> String {
        if bytes.count <= headBytes + tailBytes { return PayloadText.quote(bytes, limit: bytes.count) }
        let head = PayloadText.quote(bytes.prefix(headBytes), limit: headBytes)
        let tail = PayloadText.quote(bytes.suffix(tailBytes), limit: tailBytes)
        return "\(head) … \(bytes.count - headBytes - tailBytes) bytes not shown … \(tail)"
    }
}
