import Inspect

/// The report as one JSON object (`--json`): every check with its status and evidence, bytes
/// as escaped text (the same excerpts the human report shows) plus their full counts.
public enum ProbeJSON {
    public static func render(_ report: ProbeReport) -> String {
        var out = "{"
        out += "\"command\":\(quote(report.command)),\"target\":\(quote(report.target)),"
        out += "\"passed\":\(report.passed),\"failed\":\(report.failed),\"skipped\":\(report.skipped),"
        out += "\"ok\":\(report.allRequiredPassed),"
        out += "\"model\":\(quote(report.model)),"
        // null when the frames were captured; otherwise why not.
        out += "\"capture_note\":\(report.captureNote.map(quote) ?? "null"),"
        out += "\"resources\":{"
        out += report.resources.sorted { $0.key < $1.key }.map { "\(quote($0.key)):\(quote($0.value))" }.joined(
            separator: ",")
        out += "},\"checks\":["
        out += report.results.map(render).joined(separator: ",")
        return out + "]}\n"
    }

    static func render(_ result: ProbeResult) -> String {
        var out = "{\"id\":\(quote(result.id)),\"group\":\(quote(result.group.rawValue)),"
        out += "\"title\":\(quote(result.title)),\"status\":\(quote(result.status.rawValue)),"
        out += "\"required\":\(result.required),\"expected\":\(quote(result.expected)),"
        out += "\"observed\":\(quote(result.observed)),\"why\":\(quote(result.why)),"
        out += "\"seconds\":\(Double(Int(result.seconds * 1000)) / 1000),"
        out += "\"evidence\":["
        out += result.exchanges.map { exchange in
            "{\"label\":\(quote(exchange.label)),\"local_port\":\(exchange.localPort),"
                + "\"sent_bytes\":\(exchange.sent.count),\"sent\":\(quote(ProbeText.excerpt(exchange.sent))),"
                + "\"received_bytes\":\(exchange.received.count),\"received\":\(quote(ProbeText.excerpt(exchange.received))),"
                + "\"ending\":\(quote(exchange.ending))}"
        }.joined(separator: ",")
        out += "],\"frames\":[" + result.frames.map(quote).joined(separator: ",") + "]"
        out += ",\"ladder\":[" + result.ladder.map(quote).joined(separator: ",") + "]}"
        return out
    }

    /// A JSON string literal (RFC 8259 §7).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
