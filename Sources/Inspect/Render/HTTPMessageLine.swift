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
        // Piece by piece into the buffer: no strings are built per message.
        out.append(string: message.role == .client ? client : server)
        out.append(" > ")
        out.append(string: message.role == .client ? server : client)
        out.append("  ")
        if let head = message.head {
            switch head.startLine {
            case .request(let method, let target):
                out.append(string: method)
                out.append(" ")
                out.append(string: target)
                out.append(" ")
                appendVersion(head.version, into: &out)
                if let host = head.firstValue("Host") {
                    out.append("  Host: ")
                    out.append(string: host)
                }
            case .response(let status, let reason):
                appendVersion(head.version, into: &out)
                out.append(" ")
                out.append(status)
                if !reason.isEmpty {
                    out.append(" ")
                    out.append(string: reason)
                }
                if let type = head.firstValue("Content-Type") {
                    out.append("  ")
                    out.append(string: type)
                }
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

    private static func appendVersion(_ version: HTTPVersion, into out: inout TextBuffer) {
        out.append(string: version.protocolName)
        out.append("/")
        out.append(version.major)
        out.append(".")
        out.append(version.minor)
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
