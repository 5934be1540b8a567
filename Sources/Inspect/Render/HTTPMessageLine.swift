/// One line per HTTP message for `netlab sniff --http` (and `--explain`): the frames it spans,
/// the direction, and the request line with Host, or the status with Content-Type and body
/// size. A malformed message says why, which rule it broke, and where (stream byte and frame);
/// each thing a strict server would refuse follows on its own `warning:` line.
public enum HTTPMessageLine {
    /// `captureIncomplete`: the message's connection has holes and the capture lost packets
    /// (see `CaptureCompleteness`), so a broken message says so instead of blaming the peer.
    public static func render(
        _ message: HTTPConversation.Message, client: String, server: String, captureIncomplete: Bool = false,
        into out: inout TextBuffer
    ) {
        out.append("frames ")
        out.append(message.firstFrame)
        out.append("-")
        out.append(message.lastFrame)
        out.append("  stream ")
        out.append(message.stream)
        out.append("  ")
        if message.role == .client {
            out.append(string: client + " > " + server + "  ")
        } else {
            out.append(string: server + " > " + client + "  ")
        }
        if let head = message.head {
            switch head.startLine {
            case .request(let method, let target):
                out.append(string: method + " " + target + " " + head.version.description)
                if let host = head.values("Host").first { out.append(string: "  Host: " + host) }
            case .response(let status, let reason):
                let line = head.version.description + " " + String(status) + (reason.isEmpty ? "" : " " + reason)
                out.append(string: line)
                if let type = head.values("Content-Type").first { out.append(string: "  " + type) }
            }
            if message.bodyBytes > 0 || head.status != nil {
                out.append("  body ")
                out.append(message.bodyBytes)
                out.append(message.bodyBytes == 1 ? " byte" : " bytes")
            }
        } else {
            out.append(message.kind == .request ? "request" : "response")
        }
        if captureIncomplete && (message.error != nil || !message.complete) {
            out.append("  [capture incomplete: the kernel dropped packets of this connection]")
        } else if let error = message.error {
            out.append(string: "  [malformed: " + error.reason + " (" + error.rule + ") at byte ")
            out.append(error.offset)
            out.append(" in frame ")
            out.append(message.errorFrame ?? message.lastFrame)
            if !error.line.isEmpty { out.append(string: ": " + PayloadText.quote(error.line, limit: 80)) }
            out.append("]")
        } else if !message.complete {
            out.append("  [incomplete: the capture ends inside it]")
        }
        out.append("\n")
        if let lines = message.head?.emptyLinesBefore, lines > 0 {
            out.append(string: "    note: \(lines) empty line\(lines == 1 ? "" : "s") before the start line, skipped")
            out.append(" (RFC 9112 §2.2)\n")
        }
        for item in message.warnings {
            out.append(string: "    warning: " + item.warning.reason + "; a strict server refuses this (")
            out.append(string: item.warning.rule + ") at byte ")
            out.append(item.warning.offset)
            out.append(" in frame ")
            out.append(item.frame)
            out.append("\n")
        }
    }

    /// The line `--http` prints when a connection first shows a hole while the capture is
    /// losing packets: messages of it may be missing, and that is the capture's doing.
    public static func renderCaptureHole(stream: Int, client: String, server: String, into out: inout TextBuffer) {
        out.append("stream ")
        out.append(stream)
        out.append(string: "  " + client + " > " + server)
        out.append("  [capture incomplete: the kernel dropped packets of this connection; messages may be missing]\n")
    }
}
